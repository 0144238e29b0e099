"""Validation: known results and stylised facts, measured on fixed seeds.

Validation: known results the model must reproduce when reduced to them (`known`), and the stylised facts a good model
reproduces (`facts`), each measured on fixed seeds and returned as a `Check`; `suite` runs them all for `python run.py
check-model`.
"""

from .cases import CASES, SHIPPED, case_envelope, check_convergence
from .common import DEFAULT_SCENARIO, VALIDATION_DIR, Check, close_pool, pmap, replicate, run_many
from .facts import (
    base_rate_runs,
    fact_attention_decay,
    fact_base_rate,
    fact_critical_window,
    fact_damage_outlives,
    fact_fades_on_any_network,
    fact_hub_amplifier,
    fact_remedy_quality,
    fact_streisand,
)
from .known import (
    THETA_MAKI_THOMPSON,
    check_maki_thompson,
    check_sir_network,
    mt_preconditions,
    sir_mapping,
    theta_maki_thompson,
)
from .suite import CHECKS, run_all, table, write_outputs

__all__ = [
    "CASES",
    "CHECKS",
    "SHIPPED",
    "case_envelope",
    "check_convergence",
    "DEFAULT_SCENARIO",
    "THETA_MAKI_THOMPSON",
    "VALIDATION_DIR",
    "Check",
    "base_rate_runs",
    "check_maki_thompson",
    "check_sir_network",
    "close_pool",
    "fact_attention_decay",
    "fact_base_rate",
    "fact_critical_window",
    "fact_damage_outlives",
    "fact_fades_on_any_network",
    "fact_hub_amplifier",
    "fact_remedy_quality",
    "fact_streisand",
    "mt_preconditions",
    "pmap",
    "replicate",
    "run_all",
    "run_many",
    "sir_mapping",
    "table",
    "theta_maki_thompson",
    "write_outputs",
]
