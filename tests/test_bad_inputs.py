"""Bad input, fed to every command: one line on stderr naming the option or key, exit 2, no traceback, no folder.

A table of cases of each kind (values out of range, combinations that cannot run, command-line
numbers, unbounded requests, files that are not what they claim); later commands join it.
"""

import os
import shutil
import subprocess
import sys

import pytest

from simulation import load_scenario
from simulation.scenario import to_toml
from tests.conftest import ROOT, small


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("sc") / "s.toml"
    path.write_text(to_toml(load_scenario(small(**{"simulation.days": 1, "population.size": 200}))))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder of inputs that are not what a command expects ({f} in the table)."""
    f = tmp_path_factory.mktemp("bad")
    (f / "empty.toml").write_text("")
    (f / "comments.toml").write_text("# a comment only\n")
    (f / "binary.toml").write_bytes(b"\xff\xfe\x00\x01" * 64)
    (f / "utf16.toml").write_bytes('name = "x"\n'.encode("utf-16"))
    (f / "syntax.toml").write_text('name = "x"\n[population\n')
    (f / "twice.toml").write_text('name = "x"\n[population]\nsize = 300\nsize = 400\n')
    (f / "unknown_section.toml").write_text('name = "x"\n[bogus]\na = 1\n')
    (f / "wrong_type.toml").write_text('name = "x"\n[population]\nsize = "big"\n')
    (f / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (f / "deep_table.toml").write_text("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n")
    (f / "big.toml").write_text('name = "big"\n' + "# padding\n" * 120_000)  # 1.2 MB
    (f / "long_name.toml").write_text(f'name = "{"n" * 300}"\n')
    (f / "blank_name.toml").write_text('name = "  "\n')
    (f / "days0.toml").write_text('name = "x"\n[simulation]\ndays = 0\n')
    (f / "short.toml").write_text('name = "x"\n[simulation]\ndays = 0.01\n')
    (f / "sbm.toml").write_text(
        'name = "x"\n[population]\nsize = 20\n[network]\nkind = "stochastic_block"\nmean_degree = 50\n'
    )
    (f / "dsf.toml").write_text(
        'name = "x"\n[population]\nsize = 20\n[network]\nkind = "directed_scale_free"\nmean_degree = 50\n'
    )
    (f / "mine.toml").write_text(
        to_toml(load_scenario(small(**{"simulation.days": 1, "population.size": 200})))
        + '[strategies.fast]\ndescription = "d"\n[[strategies.fast.schedule]]\naction = "remedy"\nat_hours = 1.0\n'
    )
    (f / "a_folder.toml").mkdir()
    (f / "not_results").mkdir()
    for name in ("fifo.toml", "fifo.txt", "fifo.csv"):
        os.mkfifo(f / name)
    (f / "edges2.txt").write_text("0 1\n")
    (f / "edges3.txt").write_text("0 1\n1 2\n")
    (f / "loop.txt").write_text("5 5\n")
    (f / "loops.txt").write_text("".join(f"{i} {i}\n" for i in range(12)))  # 12 consumers, self-loops only
    ring = "".join(f"{i} {(i + 1) % 12}\n" for i in range(12))
    (f / "graph.graphml").write_text(
        '<?xml version="1.0"?>\n<graphml>\n<graph edgedefault="undirected">\n</graph>\n</graphml>\n'
    )
    (f / "graph.json").write_text('{"nodes": [{"id": 0}, {"id": 1}], "links": [{"source": 0, "target": 1}]}\n')
    (f / "graph.dot").write_text("digraph G {\n" + "".join(f"{i} -> {(i + 1) % 12};\n" for i in range(12)) + "}\n")
    (f / "graph.net").write_text(
        "% exported\n*Vertices 12\n" + "".join(f'{i + 1} "n{i}"\n' for i in range(12)) + "*Edges\n1 2\n"
    )
    (f / "edges.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    (f / "cut.gz").write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03")  # a gzip header, then nothing
    (f / "joined.txt").write_text(ring + "source target\n" + ring)
    (f / "unclosed.txt").write_text(ring + '"alice bob\n')
    (f / "indexed.csv").write_text(",source,target\n" + "".join(f"{i},{i},{(i + 7) % 12}\n" for i in range(12)))
    (f / "weight_first.csv").write_text(
        "weight,source,target\n" + "".join(f"1,{i},{(i + 7) % 12}\n" for i in range(12))
    )
    (f / "u64.txt").write_text("".join(f"{2**63 + i} {2**63 + (i + 1) % 12}\n" for i in range(12)))
    (f / "long_rows.csv").write_text("label,customer\n0,1,0\n")
    (f / "label_twice.csv").write_text("label,label\n0,1\n")
    (f / "tabs.csv").write_text("label\tcustomer\n0\t1\n")
    (f / "trailing_comma.csv").write_text("label,customer,\n0,1,\n")
    (f / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/bin/sh\n")
    (f / "bad_columns.csv").write_text("label,colour\n0,red\n")
    (f / "passwd.csv").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (f / "empty.csv").write_text("")
    (f / "header_only.csv").write_text("date,sentiment\n")
    (f / "bad_time.csv").write_text("date,sentiment\n2024-03-01T10:00Z,negative\nyesterday,negative\n")
    (f / "no_negative.csv").write_text("date,s\n2024-03-01T10:00Z,positive\n2024-03-01T11:00Z,meh\n")
    (f / "dup_bins.csv").write_text("time,negative\n2024-03-01T10:00Z,1\n2024-03-01T10:00Z,2\n")
    (f / "mixed_tz.csv").write_text("date\n2024-03-01T10:00+01:00\n2024-03-01 11:00\n")
    (f / "naive.csv").write_text("date\n2024-03-01 11:00\n")
    (f / "negative_count.csv").write_text("hours,negative\n0,3\n1,-2\n")
    # observed counts (calibrate, forecast): two days of a made-up buzz, its first day, the same with one bin changed
    counts = [1, 1, 2, 4, 7, 11, 15, 18, 20, 19, 17, 14, 12, 10, 8, 7, 6, 5, 4, 4, 3, 3, 2, 2] * 2
    for name, n, bump in (("observed", 48, 0), ("first24", 24, 0), ("other", 48, 40)):
        rows = "".join(f"{h},{c + (bump if h == 3 else 0)},1\n" for h, c in enumerate(counts[:n]))
        (f / f"{name}.csv").write_text("hours,negative,bin_hours\n" + rows)
    (f / "long.csv").write_text("hours,negative\n" + "".join(f"{h},1\n" for h in range(100)))
    (f / "fine.csv").write_text("hours,negative,bin_hours\n0,1,0.5\n0.5,2,0.5\n")
    (f / "unsorted.csv").write_text("hours,negative\n0,1\n2,1\n1,1\n")
    (f / "zero.csv").write_text("hours,negative\n0,0\n1,0\n")
    (f / "inf.csv").write_text("hours,negative\n0,1\n1,inf\n")
    (f / "cr.csv").write_bytes(b"date\r2024-03-01T10:00Z\rbad\r")  # CR-only line ends (old Mac exports)
    (f / "dup_col.csv").write_text("hours,negative,negative\n0,3,5\n1,3,1\n")
    (f / "dates.csv").write_text("date\n2024-03-01\n2024-03-02\n")
    (f / "utf16.csv").write_bytes("date\n2024-03-01T10:00Z\n".encode("utf-16"))
    (f / "sum_big.csv").write_text("time,negative\n2024-03-01T10:00Z,1000000000000\n2024-03-01T10:30Z,1000000000000\n")
    (f / "wide_bin.csv").write_text("hours,negative,bin_hours\n0,5,1e300\n")
    (f / "bad_neutral.csv").write_text("hours,negative,neutral\n0,3,x\n1,3,1\n")
    (f / "fc.toml").write_text(to_toml(load_scenario(small(**{"simulation.days": 3, "population.size": 200}))))
    for name, edges in (("two", "edges2.txt"), ("one_loop", "loop.txt"), ("loops", "loops.txt")):
        (f / f"{name}.toml").write_text(f'name = "{name}"\n[network]\nkind = "file"\npath = "{edges}"\n')
    return f


@pytest.fixture(scope="module")
def done(scenario, files, tmp_path_factory):
    """Finished folders to resume or read ({d}/compare, {d}/sweep, {d}/study, {d}/posterior: a calibration to
    the first 24 h of {f}/observed.csv); a case that may write works on a copy."""
    from simulation.cli import main

    d = tmp_path_factory.mktemp("done")
    common = ["--replications", "2", "--workers", "1", "--no-figures"]
    assert (
        main(["compare", str(scenario), "--strategies", "ignore,quick_fix", *common, "--out", str(d / "compare")]) == 0
    )
    assert main(["sweep", str(scenario), "--vary", "brand.delay_hours=0,6", *common, "--out", str(d / "sweep")]) == 0
    study = [
        "sensitivity",
        str(scenario),
        "--param",
        "spread.visibility=0.1:0.5",
        "--n",
        "2",
        "--strategies",
        "quick_fix",
    ]
    assert main([*study, *common, "--out", str(d / "study")]) == 0
    fit = [str(files / "fc.toml"), "--data", str(files / "first24.csv"), "--fit", FIT, "--capture", "0.1:10"]
    small_fit = ["--particles", "10", "--budget", "30", "--workers", "1", "--no-figures"]
    assert main(["calibrate", *fit, *small_fit, "--out", str(d / "posterior")]) == 0
    return d


FIT = "spread.anger_dose=0.05:0.8:log"
CALIBRATE = ["calibrate", "{s}", "--data", "{f}/first24.csv"]
FORECAST = ["forecast", "{f}/fc.toml", "--data", "{f}/observed.csv"]
SWEEP = ["sweep", "{s}", "--vary", "brand.delay_hours=0,6", "--replications", "2"]
COMPARE = ["compare", "{s}", "--strategies", "ignore,quick_fix", "--replications", "2"]
SENS = ["sensitivity", "{s}", "--param", "spread.visibility=0.1:0.5", "--replications", "2"]
PARAM2 = ["--param", "spread.anger_dose=0.2:0.9"]
RUN = ["run", "{s}"]
EDGES = ["run", "{f}/two.toml", "--set"]  # a file network: --set network.path=...
NODES = ["run", "{s}", "--set"]  # --set network.nodes_path=...
RESUME = ["--resume", "{exp}"]  # a copy of a finished folder ({done}/<name>, the case's 4th field)
CASES = {
    # command-line numbers and words
    "replications 0": (SWEEP[:-1] + ["0"], "--replications"),
    "replications -3": (COMPARE[:-1] + ["-3"], "--replications"),
    "run replications 0": (["run", "{s}", "--replications", "0"], "--replications"),
    "replications beyond the runs limit": (
        COMPARE[:-1] + ["6000000"],
        "12,000,000 runs exceed the limit of 10,000,000",
    ),
    "run replications beyond the runs limit": (["run", "{s}", "--replications", "20000000"], "--replications 20000000"),
    "workers 0": (COMPARE + ["--workers", "0"], "--workers"),
    "workers -1": (SWEEP + ["--workers", "-1"], "--workers"),
    "workers beyond the limit": (
        COMPARE + ["--workers", "100000"],
        "--workers: 100000: 100,000 worker processes exceed",
    ),
    "strategies comma": (["compare", "{s}", "--strategies", ",", "--replications", "2"], "--strategies"),
    "strategies twice": (
        COMPARE[:2] + ["--strategies", "quick_fix,quick_fix"],
        "--strategies: quick_fix,quick_fix: quick",
    ),
    "strategy empty": (["run", "{s}", "--strategy", ""], "error: --strategy : brand.strategy: unknown value ''"),
    "strategy custom without schedule": (
        ["run", "{s}", "--strategy", "custom"],
        "error: --strategy custom: brand.schedule",
    ),
    "dask empty": (COMPARE + ["--dask", ""], "argument --dask: empty; give a scheduler's address"),
    "seed negative": (["run", "{s}", "--seed", "-1"], "seed"),
    # the plan
    "vary brand.strategy": (
        ["sweep", "{s}", "--vary", "brand.strategy=delay,lawyers", "--strategies", "quick_fix", "--replications", "2"],
        "--strategies",
    ),
    "vary range too long": (["sweep", "{s}", "--vary", "brand.delay_hours=0:1e9:1", "--replications", "2"], "--vary"),
    "vary key twice": (
        ["sweep", "{s}", "--vary", "brand.delay_hours=0,12", "--vary", "brand.delay_hours=3", "--replications", "2"],
        "--vary: brand.delay_hours: given twice",
    ),
    "vary bad value": (["sweep", "{s}", "--vary", "spread.visibility=0.2,7", "--replications", "2"], "--vary"),
    "vary seed": (["sweep", "{s}", "--vary", "seed=1,2"], "--vary: seed: cannot be swept: every condition runs on"),
    "vary replications": (["sweep", "{s}", "--vary", "replications=2,3"], "--vary: replications: cannot be swept"),
    "vary name": (
        ["sweep", "{s}", "--vary", "name=a,b"],
        "--vary: name: cannot be swept: a name does not change a run",
    ),
    "vary an empty key part": (["sweep", "{s}", "--vary", "spread..visibility=1,2"], "empty part in a dotted key"),
    "vary dt tiny": (
        ["sweep", "{s}", "--vary", "simulation.dt_hours=1e-6,1"],
        "--vary: simulation.dt_hours: 24,000,000",
    ),
    "vary other strategy's key": (
        ["sweep", "{f}/mine.toml", "--vary", "strategies.fast.schedule.0.at_hours=1,2", "--strategies", "quick_fix"],
        "changes strategy 'fast' only, which is not compared",
    ),
    "vary the delay of ignore alone": (
        ["sweep", "{s}", "--strategies", "ignore", "--vary", "brand.delay_hours=0,6"],
        "--vary: brand.delay_hours: times the brand's response, and no compared strategy responds",
    ),
    "compare custom without a schedule": (
        COMPARE[:2] + ["--strategies", "ignore,custom"],
        "error: --strategies (custom): brand.schedule: strategy = custom needs a non-empty schedule",
    ),
    # a value given on the command line names the option, not the file
    "set out of range": (
        ["run", "{s}", "--set", "spread.visibility=7"],
        "error: --set spread.visibility=7: spread.visibility: value 7.0 out of range; allowed: number in [0, 1]",
    ),
    "set out of range, compare": (COMPARE + ["--set", "spread.visibility=7"], "error: --set spread.visibility=7: "),
    "set unknown key": (["run", "{s}", "--set", "bogus.key=1"], "error: --set bogus.key=1: bogus: unknown key"),
    "set wrong type": (
        ["run", "{s}", "--set", "population.size=abc"],
        "error: --set population.size=abc: population.size: expected integer",
    ),
    "set no =": (["run", "{s}", "--set", "population.size"], "--set: population.size: expected KEY=VALUE"),
    "set no key": (["run", "{s}", "--set", "=3"], "--set: =3: expected KEY=VALUE"),
    "set inside a value": (["run", "{s}", "--set", "seed.x=1"], "error: --set seed.x=1: seed: is a value, not a table"),
    "set a list's missing entry": (
        ["run", "{s}", "--set", "amplifiers.5.threshold=3"],
        "error: --set amplifiers.5.threshold=3: amplifiers.5.threshold: list index '5' out of range (the list has 0",
    ),
    "set a list entry by a word": (
        ["run", "{s}", "--set", "amplifiers.x.threshold=3"],
        "error: --set amplifiers.x.threshold=3: amplifiers.x.threshold: 'x' is not a list index",
    ),
    "baseline empty": (COMPARE + ["--baseline", ""], "error: --baseline: '': unknown strategy"),
    "out under a file, run": (
        ["run", "{s}", "--out", "{s}/x"],
        "error: --out: {s}/x: cannot be created ({s} is a file)",
    ),
    "set a rule's other key": (
        ["run", "{s}", "--set", "simulation.days=0.01"],
        "error: --set simulation.days=0.01: simulation.dt_hours: 1 h is longer than the horizon",
    ),
    "set steps beyond the limit": (
        ["run", "{s}", "--set", "simulation.dt_hours=1e-6"],
        "error: --set simulation.dt_hours=1e-6: simulation.dt_hours: 24,000,000 steps per run",
    ),
    "strategy unknown": (["run", "{s}", "--strategy", "pray"], "error: --strategy pray: brand.strategy: unknown"),
    # scenario values and combinations
    "name with a path": (["run", "{s}", "--set", "name=../../x"], "name"),
    "name absolute": (["run", "{s}", "--set", "name=/tmp/x"], "name"),
    "name hidden": (["run", "{s}", "--set", "name=.x"], "name"),
    "name with a newline": (["run", "{s}", "--set", 'name="a\\nb"'], "name: 'a\\nb' has a control character"),
    "name too long": (["run", "{f}/long_name.toml"], "name: 'nnnnn"),
    "name blank": (["run", "{f}/blank_name.toml"], "name: '  ' is empty"),
    "directed generated": (["run", "{s}", "--set", "network.directed=true"], "network.directed"),
    "erdos renyi degree": (
        ["run", "{s}", "--set", "network.kind=erdos_renyi", "--set", "network.mean_degree=500"],
        "network.mean_degree",
    ),
    "stochastic block degree": (
        ["run", "{f}/sbm.toml"],
        "sbm.toml: network.mean_degree: must be <= population.size - 1",
    ),
    "stochastic block link chance": (
        ["run", "{s}", "--set", "network.kind=stochastic_block", "--set", "network.blocks=100"],
        "--set network.blocks=100: network.mean_degree: 6 is too high for 100 communities",
    ),
    "directed scale-free degree": (
        ["run", "{f}/dsf.toml"],
        "dsf.toml: network.mean_degree: must be <= population.size",
    ),
    "directed scale-free degree below 1": (
        ["run", "{s}", "--set", "network.kind=directed_scale_free", "--set", "network.mean_degree=0.5"],
        "network.mean_degree: must be >= 1 for a directed_scale_free network",
    ),
    "horizon shorter than a step": (["run", "{f}/short.toml"], "simulation.dt_hours: 1 h is longer than the horizon"),
    "m above size": (["run", "{s}", "--set", "network.m=5000"], "network.m"),
    "network too large": (
        ["run", "{s}", "--set", "population.size=1000000", "--set", "network.m=5000"],
        "error: --set population.size=1000000: population.size: with this network (barabasi_albert) it has about",
    ),
    # files
    "network /dev/zero": (["run", "{s}", "--set", "network.kind=file", "--set", "network.path=/dev/zero"], "/dev/zero"),
    "out under /proc": (["run", "{s}", "--out", "/proc/buzzsim-x"], "error: --out: /proc/buzzsim-x: cannot be created"),
    "out under a file": (COMPARE + ["--out", "{s}/x"], "cannot be created (" + "{s} is a file)"),
    "out a folder that is not empty": (
        COMPARE + ["--out", "{f}"],
        "--out exists and is not empty; choose a new folder",
    ),
    "out a file, sensitivity": (SENS + ["--out", "{f}/empty.toml"], "--out is a file, not a folder"),
    "out empty": (["run", "{s}", "--out", ""], "argument --out: empty; give a folder to create"),
    "out name too long": (["run", "{s}", "--out", "x" * 300], "argument --out: a name in it has 300 bytes"),
    "out name too long, sensitivity": (SENS + ["--out", "y" * 300], "argument --out: a name in it has 300 bytes"),
    "dask unreachable": (COMPARE + ["--dask", "tcp://127.0.0.1:1"], "--dask: tcp://127.0.0.1:1: cannot reach"),
    # sensitivity studies
    "sensitivity range outside": (SENS[:2] + ["--param", "spread.visibility=0.2:1.5"], "leaves the allowed values"),
    "sensitivity unknown key": (SENS[:2] + ["--param", "spread.nothing=0:1"], "--param: spread.nothing: unknown key"),
    "sensitivity text key": (SENS[:2] + ["--param", "network.kind=0:1"], "network.kind: is not numeric"),
    "sensitivity log from 0": (SENS[:2] + ["--param", "spread.anger_dose=0:1:log"], "a log scale needs LO > 0"),
    "sensitivity seed": (SENS + ["--param", "seed=1:10"], "--param: seed: cannot be sampled"),
    "sensitivity integer key, fractional range": (SENS + ["--param", "network.m=1.5:4"], "integer LO and HI"),
    "sensitivity n 1": (SENS + ["--n", "1"], "Morris needs at least 2 trajectories"),
    "sensitivity n beyond the limit": (SENS + ["--n", "10000000000"], "--n: 10000000000: 20,000,000,000 conditions"),
    "sobol n not a power of two": (SENS + PARAM2 + ["--method", "sobol", "--n", "12"], "power of two"),
    "sobol one parameter": (SENS + ["--method", "sobol", "--n", "16"], "Sobol' indices need at least two"),
    "sensitivity bad method": (SENS + ["--method", "fast"], "--method"),
    "sensitivity timing one delay": (SENS + ["--strategies", "quick_fix", "--timing", "6"], "two different delays"),
    "sensitivity timing three delays": (SENS + ["--strategies", "quick_fix", "--timing", "1,6,12"], "two different"),
    "sensitivity timing beyond the horizon": (
        SENS + ["--strategies", "quick_fix", "--timing", "1,1000"],
        "a delay beyond the horizon (24 h) is a response that never comes",
    ),
    "sensitivity timing of the baseline": (SENS + ["--strategies", "ignore", "--timing", "1,24"], "no response"),
    "sensitivity unknown strategy": (SENS + ["--strategies", "pray"], "--strategies: pray: unknown strategy"),
    "sensitivity strategies twice": (SENS + ["--strategies", "quick_fix,quick_fix"], "quick_fix named twice"),
    "sensitivity unknown metric": (SENS + ["--metrics", "nope"], "--metrics: nope: unknown metric"),
    "sensitivity metrics twice": (SENS + ["--metrics", "peak_posts,peak_posts"], "peak_posts named twice"),
    "sensitivity range the scenario refuses": (SENS[:2] + ["--param", "network.m=1:400"], "network.m"),
    "sensitivity a combination no end shows": (
        SENS[:2] + ["--param", "population.size=10:400", "--param", "network.m=3:12", "--n", "4"],
        "--param (sample point 3: population.size=10, network.m=12): network.m: must be < population.size (10)",
    ),
    "sensitivity range beyond the steps limit": (
        SENS + ["--param", "simulation.dt_hours=0.000001:1"],
        "--param (simulation.dt_hours=1e-06): simulation.dt_hours: 24,000,000 steps",
    ),
    "sensitivity resume of another folder": (["sensitivity", "--resume", "{f}"], "not a sensitivity folder"),
    "sensitivity resume of a compare": (["sensitivity", *RESUME], "not a sensitivity folder", 2, "compare"),
    "sensitivity resume, another n": (["sensitivity", *RESUME, "--n", "3"], "--n is 3, the study's 2", 2, "study"),
    "sensitivity resume, a param": (
        ["sensitivity", *RESUME, "--param", "spread.visibility=0.1:0.3"],
        "--param is the study's own",
        2,
        "study",
    ),
    "sensitivity resume, --out": (
        ["sensitivity", *RESUME, "--out", "elsewhere"],
        "--out: elsewhere: a resume",
        2,
        "study",
    ),
    "sensitivity resume, samples edited": (
        ["sensitivity", *RESUME],
        "samples.csv changed since the experiment started",
        2,
        "study",
        "samples.csv",
    ),
    "sensitivity resume, study garbage": (
        ["sensitivity", *RESUME],
        "sensitivity.json changed since the experiment started",
        2,
        "study",
        "sensitivity.json",
    ),
    # experiments resumed: refused in one line, the folder untouched
    "resume, out given": (
        ["compare", *RESUME, "--out", "elsewhere"],
        "--out: elsewhere: a resume finishes",
        2,
        "compare",
    ),
    "resume a compare as a sweep": (
        ["sweep", *RESUME],
        "is a compare folder; resume it with: python run.py compare",
        2,
        "compare",
    ),
    "resume a sweep as a compare": (["compare", *RESUME], "is a sweep folder", 2, "sweep"),
    "resume a study as a compare": (["compare", *RESUME], "is a sensitivity folder", 2, "study"),
    "resume, plan truncated": (
        ["compare", *RESUME],
        "experiment.json: not readable as JSON",
        2,
        "compare",
        "experiment.json",
    ),
    "resume, plan not an object": (
        ["compare", *RESUME],
        "experiment.json: not an experiment's plan (a JSON object)",
        2,
        "compare",
        "experiment.json=[1]",
    ),
    "resume, fingerprint not an object": (
        ["compare", *RESUME],
        ".fingerprint.json: not the hashes a resume checks (a JSON object)",
        2,
        "compare",
        ".fingerprint.json=[1]",
    ),
    "resume, scenario deleted": (["compare", *RESUME], "scenario.toml changed since", 2, "compare", "-scenario.toml"),
    # scenario files that are not scenarios (validate exits 1: its help says so)
    "validate missing": (["validate", "{f}/missing.toml"], "missing.toml: file not found", 1),
    "validate a folder": (
        ["validate", "{f}/a_folder.toml"],
        "a_folder.toml: is a folder; a scenario is a TOML text file",
        1,
    ),
    "validate binary": (
        ["validate", "{f}/binary.toml"],
        "binary.toml: is not UTF-8 text (byte 0); save it as UTF-8",
        1,
    ),
    "validate UTF-16": (["validate", "{f}/utf16.toml"], "utf16.toml: is not UTF-8 text", 1),
    "validate empty": (["validate", "{f}/empty.toml"], "empty.toml: has no keys", 1),
    "validate comments only": (["validate", "{f}/comments.toml"], "comments.toml: has no keys", 1),
    "validate unknown section": (["validate", "{f}/unknown_section.toml"], "bogus: unknown key; allowed here", 1),
    "validate wrong type": (["validate", "{f}/wrong_type.toml"], "population.size: expected integer", 1),
    "validate TOML syntax": (["validate", "{f}/syntax.toml"], "syntax.toml: malformed TOML: Expected ']'", 1),
    "validate key twice": (["validate", "{f}/twice.toml"], "twice.toml: malformed TOML: Cannot overwrite", 1),
    "validate deeply nested arrays": (
        ["validate", "{f}/deep.toml"],
        "deep.toml: malformed TOML: arrays or tables nested",
        1,
    ),
    "validate deeply nested tables": (
        ["validate", "{f}/deep_table.toml"],
        "malformed TOML: arrays or tables nested",
        1,
    ),
    "validate over a megabyte": (
        ["validate", "{f}/big.toml"],
        "bytes; a scenario file is at most 1,048,576",
        1,
    ),
    "validate a FIFO": (["validate", "{f}/fifo.toml"], "fifo.toml: is not a regular file (a FIFO or a device)", 1),
    "validate /dev/zero": (["validate", "/dev/zero"], "/dev/zero: is not a regular file", 1),
    "validate one bad of two": (["validate", "{s}", "{f}/empty.toml"], "1 of 2 scenario file(s) invalid", 1),
    "validate 2-node network": (["validate", "{f}/two.toml"], "network.path: the network file edges2.txt has 2", 1),
    "validate a zero horizon": (["validate", "{f}/days0.toml"], "simulation.days: value 0.0 out of range", 1),
    "run empty file": (["run", "{f}/empty.toml"], "empty.toml: has no keys"),
    "run missing file": (["run", "{f}/missing.toml"], "missing.toml: file not found"),
    "run a FIFO": (["run", "{f}/fifo.toml"], "fifo.toml: is not a regular file"),
    "run key twice": (["run", "{f}/twice.toml"], "malformed TOML: Cannot overwrite a value"),
    "run wrong type": (["run", "{f}/wrong_type.toml"], "wrong_type.toml: population.size: expected integer"),
    "compare unknown section": (["compare", "{f}/unknown_section.toml", "--replications", "2"], "bogus: unknown key"),
    "compare a FIFO": (["compare", "{f}/fifo.toml"], "fifo.toml: is not a regular file"),
    "sensitivity a FIFO": (["sensitivity", "{f}/fifo.toml"], "fifo.toml: is not a regular file"),
    "list a FIFO": (["list", "{f}/fifo.toml"], "fifo.toml: is not a regular file"),
    # networks and node tables
    "population below 10": (["run", "{s}", "--set", "population.size=5"], "population.size: value 5 out of range"),
    "edge list of 2 nodes": (["run", "{f}/two.toml"], "edges2.txt has 2 consumer(s); allowed: at least 10"),
    "edge list of 3 nodes": (
        EDGES + ["network.path={f}/edges3.txt"],
        "--set network.path={f}/edges3.txt: network.path: the network file edges3.txt has 3 consumer(s)",
    ),
    "edge list, a self-loop only": (["run", "{f}/one_loop.toml"], "has no edges besides self-loops"),
    "edge list, self-loops only": (["sweep", "{f}/loops.toml", "--vary", "brand.delay_hours=0,6"], "self-loops"),
    "edge list, a FIFO": (
        EDGES + ["network.path={f}/fifo.txt"],
        "is not a regular file (a FIFO or a device); an edge list is a text file",
    ),
    "edge list, not one": (EDGES + ["network.path={f}/passwd.txt"], "passwd.txt' line 1: expected two node labels"),
    "node table missing": (
        NODES + ["network.nodes_path={f}/missing.csv"],
        "network.nodes_path: node table '{f}/missing.csv': file not found",
    ),
    "node table wrong columns": (
        NODES + ["network.nodes_path={f}/bad_columns.csv"],
        "line 1: unknown column 'colour'; allowed: label, customer, follows_brand, activity",
    ),
    "node table a folder": (
        NODES + ["network.nodes_path={f}/not_results"],
        "node table '{f}/not_results': is a folder",
    ),
    "node table a FIFO": (NODES + ["network.nodes_path={f}/fifo.csv"], "is not a regular file (a FIFO or a device)"),
    "node table /dev/zero": (NODES + ["network.nodes_path=/dev/zero"], "'/dev/zero': is not a regular file"),
    "node table, not one": (NODES + ["network.nodes_path={f}/passwd.csv"], "line 1: unknown column of 31 characters"),
    # command-line words
    "seed abc": (["run", "{s}", "--seed", "abc"], "argument --seed: 'abc' is not an integer"),
    "compare seed abc": (COMPARE + ["--seed", "abc"], "argument --seed: 'abc' is not an integer"),
    "compare replications 1": (COMPARE[:-1] + ["1"], "argument --replications: 1 is below 2"),
    "compare baseline unknown": (COMPARE + ["--baseline", "pray"], "--baseline: pray: unknown strategy"),
    "compare no scenario": (["compare", "--replications", "2"], "compare: scenario: give a scenario file"),
    "compare resume missing folder": (["compare", "--resume", "{f}/nowhere"], "nowhere: not an experiment folder"),
    "vary empty values": (["sweep", "{s}", "--vary", "brand.delay_hours=", "--replications", "2"], "no values given"),
    "vary step 0": (["sweep", "{s}", "--vary", "brand.delay_hours=0:10:0"], "range '0:10:0' needs step > 0"),
    "vary stop below start": (["sweep", "{s}", "--vary", "brand.delay_hours=5:1:1"], "range '5:1:1' needs step > 0"),
    "vary no =": (["sweep", "{s}", "--vary", "brand.delay_hours"], "--vary: brand.delay_hours: expected KEY=V1,V2"),
    "vary unknown key": (["sweep", "{s}", "--vary", "bogus.key=1,2"], "bogus: unknown key"),
    "sweep without vary": (["sweep", "{s}", "--replications", "2"], "sweep needs at least one --vary"),
    "window metric unknown": (SWEEP + ["--window-metric", "luck"], "--window-metric: luck: not a metric"),
    "slice unknown": (SWEEP + ["--slice", "spread.visibility=1"], "--slice: spread.visibility=1: not a swept key"),
    "resolve negative": (SWEEP + ["--resolve", "-1"], "--resolve: -1.0: must be a positive number"),
    "resolve nan": (SWEEP + ["--resolve", "nan"], "--resolve: nan: must be a positive number"),
    "series unknown": (SWEEP + ["--series", "some"], "argument --series: invalid choice: 'some'"),
    "export bad format": (["export", "{f}/not_results", "--format", "xml"], "argument --format: invalid choice"),
    "export not a results folder": (["export", "{f}/not_results", "--format", "csv"], "not a results folder"),
    "export missing folder": (["export", "{f}/nowhere", "--format", "csv"], "nowhere: not a folder"),
    "export a file": (["export", "{f}/empty.toml", "--format", "parquet"], "empty.toml: not a folder"),
    "export a garbage table": (
        ["export", "{exp}", "--format", "csv"],
        "timeseries.parquet: cannot be read as a table (ArrowInvalid)",
        2,
        "compare",
        "timeseries.parquet",
    ),
    "check-model workers 0": (["check-model", "--workers", "0"], "argument --workers: 0 is below 1"),
    "check-model workers beyond the limit": (["check-model", "--workers", "5000"], "--workers: 5000: 5,000 worker"),
    "check-model unknown check": (["check-model", "--only", "42"], "--only: unknown check 42; allowed: 1, 2"),
    "check-model out a file": (["check-model", "--only", "1", "--out", "{f}/binary.toml"], "--out is a file"),
    "check-model quick docs": (["check-model", "--quick", "--update-docs"], "--update-docs: records a full run only"),
    "check-model replications": (["check-model", "--replications", "0"], "unrecognized arguments: --replications"),
    "list unknown scenario": (["list", "nosuch"], "nosuch.toml: file not found"),
    "list binary": (["list", "{f}/binary.toml"], "binary.toml: is not UTF-8 text"),
    "list two scenarios": (["list", "{s}", "{s}"], "unrecognized arguments"),
    "keys an argument": (["keys", "extra"], "unrecognized arguments: extra"),
    "keys unknown option": (["keys", "--bogus"], "unrecognized arguments: --bogus"),
    "unknown command": (["simulate"], "argument command: invalid choice: 'simulate'"),
    # listening exports (import-mentions; --out out is the test's own folder, which must not appear)
    "mentions unparseable timestamp": (
        ["import-mentions", "{f}/bad_time.csv", "--out", "out"],
        "bad_time.csv: line 3: date 'yesterday' is not a timestamp",
    ),
    "mentions no negative": (
        ["import-mentions", "{f}/no_negative.csv", "--sentiment-col", "s", "--out", "out"],
        "no_negative.csv: no negative mentions",
    ),
    "mentions duplicate bins": (
        ["import-mentions", "{f}/dup_bins.csv", "--out", "out"],
        "dup_bins.csv: line 3: time '2024-03-01T10:00Z': a duplicate bin",
    ),
    "mentions unknown column": (
        ["import-mentions", "{f}/no_negative.csv", "--sentiment-col", "tone", "--out", "out"],
        "--sentiment-col tone: unknown column; columns present: date, s",
    ),
    "mentions empty file": (
        ["import-mentions", "{f}/empty.csv", "--out", "out"],
        "empty.csv: is empty; expected a header line",
    ),
    "mentions header only": (
        ["import-mentions", "{f}/header_only.csv", "--out", "out"],
        "header_only.csv: has a header (date, sentiment) but no rows",
    ),
    "mentions bad bin": (
        ["import-mentions", "{f}/bad_time.csv", "--bin", "2w", "--out", "out"],
        "--bin: '2w' is not a bin width; allowed:",
    ),
    "mentions bin 0": (
        ["import-mentions", "{f}/bad_time.csv", "--bin", "0min", "--out", "out"],
        "--bin: '0min' is 0 minutes; allowed:",
    ),
    "mentions unknown tz": (
        ["import-mentions", "{f}/naive.csv", "--tz", "Mars/Olympus", "--out", "out"],
        "--tz: 'Mars/Olympus' is not a known time zone",
    ),
    "mentions naive without tz": (
        ["import-mentions", "{f}/naive.csv", "--out", "out"],
        "naive.csv: line 2: date '2024-03-01 11:00' has no UTC offset; give --tz",
    ),
    "mentions mixed offsets": (
        ["import-mentions", "{f}/mixed_tz.csv", "--tz", "UTC", "--out", "out"],
        "mixed_tz.csv: line 3: date '2024-03-01 11:00' has no UTC",
    ),
    "mentions negative count": (
        ["import-mentions", "{f}/negative_count.csv", "--out", "out"],
        "negative_count.csv: line 3: negative '-2' is not a count",
    ),
    "mentions missing file": (["import-mentions", "{f}/missing.csv", "--out", "out"], "missing.csv: file not found"),
    "mentions binary file": (
        ["import-mentions", "{f}/binary.toml", "--out", "out"],
        "binary.toml: is binary, not a CSV text file",
    ),
    "mentions a folder": (
        ["import-mentions", "{f}/not_results", "--out", "out"],
        "not_results: is a folder; give a CSV file",
    ),
    "mentions out a folder": (
        ["import-mentions", "{f}/bad_time.csv", "--out", "{f}/not_results"],
        "--out: {f}/not_results: is a folder; give a file name",
    ),
    "mentions out unwritable": (
        ["import-mentions", "{f}/naive.csv", "--tz", "UTC", "--out", "/proc/buzzsim-x/observed.csv"],
        "--out: /proc/buzzsim-x/observed.csv: cannot be written",
    ),
    "mentions without out": (["import-mentions", "{f}/naive.csv"], "the following arguments are required: --out"),
    "vary an empty value": (["sweep", "{s}", "--vary", "brand.delay_hours=1,,2"], "'1,,2' has an empty value"),
    "vary a trailing comma": (["sweep", "{s}", "--vary", "brand.delay_hours=0,6,"], "'0,6,' has an empty value"),
    "strategies an empty name": (
        COMPARE[:2] + ["--strategies", "ignore,,quick_fix"],
        "--strategies: ignore,,quick_fix: an empty name",
    ),
    "study strategies trailing comma": (
        SENS + ["--strategies", "quick_fix,"],
        "--strategies: quick_fix,: an empty name",
    ),
    "study a list item's key": (
        SENS[:2] + ["--param", "amplifiers.0.threshold=1:5"],
        "--param: amplifiers.0.threshold: a key of a list item (an amplifier, a schedule entry) cannot be sampled",
    ),
    "calibrate a set past the edges limit": (
        CALIBRATE + ["--fit", FIT, "--set", "population.size=1000000", "--set", "network.m=1000"],
        "--set population.size=1000000: population.size: with this network (barabasi_albert) it has about "
        "2,000,000,000 directed edges",
    ),
    "calibrate fit a list item's key": (
        CALIBRATE + ["--fit", "brand.schedule.0.at_hours=1:5"],
        "--fit: brand.schedule.0.at_hours: a key of a list item",
    ),
    # networks and node tables shaped like other tools' files
    "edge list, GraphML": (
        EDGES + ["network.path={f}/graph.graphml"],
        "graph.graphml' is XML or HTML (GraphML, GEXF or a web page), not an edge list",
    ),
    "edge list, JSON": (EDGES + ["network.path={f}/graph.json"], "graph.json' is JSON, not an edge list"),
    "edge list, DOT": (EDGES + ["network.path={f}/graph.dot"], "graph.dot' is a Graphviz DOT file, not an edge list"),
    "edge list, Pajek after a comment": (EDGES + ["network.path={f}/graph.net"], "graph.net' is a Pajek file"),
    "edge list, a zip archive": (
        EDGES + ["network.path={f}/edges.zip"],
        "edges.zip' is a zip archive; give the edge list itself",
    ),
    "edge list, gzip cut short": (
        EDGES + ["network.path={f}/cut.gz"],
        "cut.gz' is gzip-compressed but cannot be decompressed (EOFError)",
    ),
    "edge list, two files joined": (
        EDGES + ["network.path={f}/joined.txt"],
        "joined.txt' line 13: column names after the first link (two files joined?)",
    ),
    "edge list, unclosed quote": (
        EDGES + ["network.path={f}/unclosed.txt"],
        "unclosed.txt' line 13: a double quote is not closed",
    ),
    "edge list saved with its index": (
        EDGES + ["network.path={f}/indexed.csv"],
        "indexed.csv' line 1: the first column has no name; the first two columns are read as the link's ends",
    ),
    "edge list, ends not first": (
        EDGES + ["network.path={f}/weight_first.csv"],
        "weight_first.csv' line 1: the columns source, target are not the first two",
    ),
    "complaint node beyond 64 bits": (
        EDGES
        + ["network.path={f}/u64.txt", "--set", "complaint.placement=node"]
        + ["--set", "complaint.node=1180591620717411303424"],
        "complaint.node: 1180591620717411303424 is not a node of the network file u64.txt",
    ),
    "complainants all the consumers": (
        ["run", "{s}", "--set", "complaint.complainants=200"],
        "complaint.complainants: must be < population.size (200)",
    ),
    "placement node, several complainants": (
        ["run", "{s}", "--set", "complaint.placement=node", "--set", "complaint.complainants=3"],
        "complaint.complainants: is 3, but placement = node places one complainant",
    ),
    "network header unknown word": (
        ["run", "{s}", "--set", "network.header=maybe"],
        "network.header: unknown value 'maybe'; allowed: auto, true or false",
    ),
    "node table, rows longer than the header": (
        NODES + ["network.nodes_path={f}/long_rows.csv"],
        "line 2: more cells than the header line's 2 column name(s)",
    ),
    "node table, a column twice": (NODES + ["network.nodes_path={f}/label_twice.csv"], "column 'label' is given twice"),
    "node table, tab-separated": (
        NODES + ["network.nodes_path={f}/tabs.csv"],
        "columns separated by tabs; a node table is comma-separated (CSV)",
    ),
    "node table, a trailing comma": (
        NODES + ["network.nodes_path={f}/trailing_comma.csv"],
        "line 1: column 3 has no name (a trailing comma?)",
    ),
    "export a table cut short": (
        ["export", "{exp}", "--format", "parquet"],
        "summary.csv: line 2: 1 cells, the header has 2; the table was cut short or edited",
        2,
        "compare",
        "summary.csv=a,b\n1\n",
    ),
    # calibrate: the fit, the data, the budget, the executors (a finished calibration is {d}/posterior)
    "calibrate no data": (["calibrate", "{s}", "--fit", FIT], "calibrate: --data: give the observed file"),
    "calibrate no fit": (CALIBRATE, "--fit: (none): no parameter to fit"),
    "calibrate no scenario": (["calibrate", "--data", "{f}/first24.csv", "--fit", FIT], "scenario: give a scenario"),
    "calibrate fit out of range": (
        CALIBRATE + ["--fit", "spread.visibility=0:3"],
        "--fit: spread.visibility: range 0:3 leaves the allowed values",
    ),
    "calibrate fit unknown key": (CALIBRATE + ["--fit", "spread.bogus=0:1"], "--fit: spread.bogus: unknown key"),
    "calibrate fit malformed": (
        CALIBRATE + ["--fit", "spread.anger_dose"],
        "--fit: spread.anger_dose: expected KEY=LO:HI",
    ),
    "calibrate fit log from 0": (CALIBRATE + ["--fit", "spread.anger_dose=0:1:log"], "a log scale needs LO > 0"),
    "calibrate fit twice": (
        CALIBRATE + ["--fit", FIT, "--fit", "spread.anger_dose=0.1:0.5"],
        "--fit: spread.anger_dose: given twice",
    ),
    "calibrate fit a text key": (CALIBRATE + ["--fit", "brand.strategy=0:1"], "--fit: brand.strategy"),
    "calibrate capture reversed": (
        CALIBRATE + ["--fit", FIT, "--capture", "1:0.5"],
        "--capture: 1:0.5: expected LO:HI",
    ),
    "calibrate capture nan": (CALIBRATE + ["--fit", FIT, "--capture", "nan:1"], "--capture: nan:1"),
    "calibrate budget small": (
        CALIBRATE + ["--fit", FIT, "--budget", "100", "--particles", "60"],
        "--budget: 100: at least twice the particles (120)",
    ),
    "calibrate budget not a number": (
        CALIBRATE + ["--fit", FIT, "--budget", "many"],
        "argument --budget: 'many' is not an integer",
    ),
    "calibrate budget over the runs limit": (
        CALIBRATE + ["--fit", FIT, "--budget", "100000000000"],
        "--budget: 100000000000: 100,000,000,000 runs exceed the limit of 10,000,000",
    ),
    "calibrate fit the step": (
        CALIBRATE + ["--fit", "simulation.dt_hours=0.5:2"],
        "--fit: simulation.dt_hours: a setting of the simulation, not a parameter of the buzz",
    ),
    "calibrate data infinite count": (
        ["calibrate", "{s}", "--data", "{f}/inf.csv", "--fit", FIT],
        "inf.csv: line 3: negative 'inf' is not a count",
    ),
    "calibrate particles 0": (CALIBRATE + ["--fit", FIT, "--particles", "0"], "argument --particles: 0 is below 10"),
    "calibrate data missing": (
        ["calibrate", "{s}", "--data", "{f}/nowhere.csv", "--fit", FIT],
        "nowhere.csv: file not",
    ),
    "calibrate data past the horizon": (
        ["calibrate", "{s}", "--data", "{f}/long.csv", "--fit", FIT],
        "long.csv: 100 bins span 100 h, beyond the scenario's horizon of 24 h; give --set simulation.days=5",
    ),
    "calibrate data finer than steps": (
        ["calibrate", "{s}", "--data", "{f}/fine.csv", "--fit", FIT],
        "bins of 0.5 h are not a whole number of the scenario's steps",
    ),
    "calibrate data unsorted": (
        ["calibrate", "{s}", "--data", "{f}/unsorted.csv", "--fit", FIT],
        "unsorted.csv: line 4: hours '1': not after the bin before it",
    ),
    "calibrate data no negative": (
        ["calibrate", "{s}", "--data", "{f}/zero.csv", "--fit", FIT],
        "zero.csv: no negative mentions",
    ),
    "calibrate data binary": (["calibrate", "{s}", "--data", "{f}/binary.toml", "--fit", FIT], "binary.toml"),
    "calibrate data a folder": (["calibrate", "{s}", "--data", "{f}/not_results", "--fit", FIT], "not_results"),
    "calibrate data FIFO": (["calibrate", "{s}", "--data", "{f}/fifo.csv", "--fit", FIT], "fifo.csv"),
    "calibrate bad set": (CALIBRATE + ["--fit", FIT, "--set", "spread.visibility=7"], "--set spread.visibility=7"),
    "calibrate unknown strategy": (CALIBRATE + ["--fit", FIT, "--strategy", "pray"], "pray"),
    "calibrate workers and dask": (
        CALIBRATE + ["--fit", FIT, "--workers", "2", "--dask", "local"],
        "not allowed with argument",
    ),
    "calibrate workers 0": (CALIBRATE + ["--fit", FIT, "--workers", "0"], "argument --workers: 0 is below 1"),
    "calibrate resume not a calibration": (["calibrate", "--resume", "{f}"], "not a calibration folder"),
    "calibrate resume an experiment": (["calibrate", "--resume", "{d}/compare"], "not a calibration folder"),
    "calibrate resume with other arguments": (
        ["calibrate", "--resume", "{exp}", "--budget", "300"],
        "--budget 300 differs from the calibration's",
        2,
        "posterior",
    ),
    "calibrate resume with out": (
        ["calibrate", "--resume", "{exp}", "--out", "{f}/elsewhere"],
        "a resume finishes the folder it is given: leave --out out",
        2,
        "posterior",
    ),
    # forecast: the hours, the strategies, the posterior it starts from
    "forecast until past the data": (
        FORECAST + ["--until", "100", "--strategies", "ignore", "--posterior", "{d}/posterior"],
        "--until: 100: beyond the data: {f}/observed.csv covers 48 h",
    ),
    "forecast until zero": (
        FORECAST + ["--until", "0", "--strategies", "ignore", "--posterior", "{d}/posterior"],
        "--until: 0: hours > 0",
    ),
    "forecast until not a number": (
        FORECAST + ["--until", "noon", "--strategies", "ignore"],
        "argument --until: invalid float value",
    ),
    "forecast unknown strategy": (
        FORECAST + ["--until", "24", "--strategies", "ignore,pray", "--posterior", "{d}/posterior"],
        "--strategies: pray: unknown strategy",
    ),
    "forecast strategy twice": (
        FORECAST + ["--until", "24", "--strategies", "ignore,ignore", "--posterior", "{d}/posterior"],
        "--strategies: ignore: given twice",
    ),
    "forecast bad timing": (
        FORECAST + ["--until", "24", "--strategies", "quick_fix@soon", "--posterior", "{d}/posterior"],
        "@HOURS takes hours >= 0",
    ),
    "forecast posterior of another scenario": (
        FORECAST
        + ["--until", "24", "--strategies", "ignore", "--posterior", "{d}/posterior", "--set", "spread.visibility=0.5"],
        "fitted to another scenario (spread.visibility differs)",
    ),
    "forecast posterior fitted past until": (
        FORECAST + ["--until", "12", "--strategies", "ignore", "--posterior", "{d}/posterior"],
        "fitted to 24 h of data, beyond --until 12",
    ),
    "forecast posterior not a calibration": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--posterior", "{f}"],
        "not a finished calibration",
    ),
    "forecast posterior of other data": (
        ["forecast", "{f}/fc.toml", "--data", "{f}/other.csv", "--until", "24", "--strategies", "ignore"]
        + ["--posterior", "{d}/posterior"],
        "fitted to other data than the first 24 h of {f}/other.csv",
    ),
    "forecast set a fitted key": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--fit", FIT, "--set", "spread.anger_dose=0.3"],
        "--set: spread.anger_dose=0.3: spread.anger_dose is also fitted (--fit)",
    ),
    "forecast fit with posterior": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--posterior", "{d}/posterior", "--fit", FIT],
        "--fit: " + FIT + ": not with --posterior",
    ),
    "forecast no fit and no posterior": (
        FORECAST + ["--until", "24", "--strategies", "ignore"],
        "--fit: (none): no parameter to fit",
    ),
    "forecast draws 1": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--draws", "1"],
        "argument --draws: 1 is below 2",
    ),
    "forecast draws over the runs limit": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--fit", FIT, "--draws", "100000000"],
        "--draws: 100000000 x --replications 5: 10,500,000,000 runs exceed the limit of 10,000,000",
    ),
    "forecast no strategies": (FORECAST + ["--until", "24"], "the following arguments are required: --strategies"),
    "forecast data missing": (
        ["forecast", "{f}/fc.toml", "--data", "{f}/nowhere.csv", "--until", "24", "--strategies", "ignore"],
        "nowhere.csv: file not found",
    ),
    # found by a hunt through listening exports, observed counts and posteriors
    "mentions CR line ends": (
        ["import-mentions", "{f}/cr.csv", "--out", "out"],
        "cr.csv: line 3: date 'bad' is not a timestamp",
    ),
    "mentions a column named twice": (
        ["import-mentions", "{f}/dup_col.csv", "--out", "out"],
        "dup_col.csv: line 1: column 'negative' is named twice",
    ),
    "mentions dates without a time": (
        ["import-mentions", "{f}/dates.csv", "--tz", "UTC", "--out", "out"],
        "dates.csv: line 2: date '2024-03-01' has no time of day, so --bin 1h cannot place it",
    ),
    "mentions UTF-16": (
        ["import-mentions", "{f}/utf16.csv", "--out", "out"],
        "utf16.csv: is UTF-16 text; allowed: UTF-8 text",
    ),
    "mentions a bin past the count limit": (
        ["import-mentions", "{f}/sum_big.csv", "--out", "out"],
        "sum_big.csv: bin 0 of 1 h counts 2,000,000,000,000 mentions; allowed: at most 1,000,000,000,000",
    ),
    "mentions option given as --": (
        ["import-mentions", "{f}/naive.csv", "--tz=--", "--out", "out"],
        "error: --tz: --: not a value",
    ),
    "calibrate data a column named twice": (
        ["calibrate", "{s}", "--data", "{f}/dup_col.csv", "--fit", FIT],
        "dup_col.csv: line 1: column 'negative' is named twice",
    ),
    "calibrate data bins of 1e300 h": (
        ["calibrate", "{s}", "--data", "{f}/wide_bin.csv", "--fit", FIT],
        "wide_bin.csv: line 2: bin_hours '1e300': allowed: from 1 minute",
    ),
    "calibrate data bad neutral count": (
        ["calibrate", "{s}", "--data", "{f}/bad_neutral.csv", "--fit", FIT],
        "bad_neutral.csv: line 2: neutral 'x' is not a count",
    ),
    "calibrate fit a linear range too wide": (
        CALIBRATE + ["--fit", "population.customer_value=1:1e308"],
        "--fit: population.customer_value: range 1:1e+308 is too wide for a linear prior",
    ),
    "calibrate fit range beyond the edges limit": (
        CALIBRATE + ["--fit", "population.size=200:10000000", "--set", "network.m=60"],
        "--fit population.size=10000000: population.size: with this network (barabasi_albert) it has about "
        "1,200,000,000 directed edges, over the limit of 500,000,000",
    ),
    "calibrate budget given as --": (CALIBRATE + ["--fit", FIT, "--budget=--"], "error: --budget: --: not a value"),
    "calibrate data given as --": (["calibrate", "{s}", "--data=--", "--fit", FIT], "error: --data: --: not a value"),
    "forecast until given as --": (
        FORECAST + ["--until=--", "--strategies", "ignore", "--posterior", "{d}/posterior"],
        "error: --until: --: not a value",
    ),
    "forecast until a hair below a bin": (
        FORECAST + ["--until", "47.9999999", "--strategies", "ignore", "--posterior", "{d}/posterior"],
        "--until: 47.9999999: a whole number of the data's bins (1 h), at least one",
    ),
    "forecast until below one bin": (
        FORECAST + ["--until", "1e-9", "--strategies", "ignore", "--fit", FIT],
        "--until: 1e-09: a whole number of the data's bins (1 h), at least one",
    ),
    "forecast a response beyond the horizon": (
        FORECAST + ["--until", "24", "--strategies", "ignore,quick_fix@1e9", "--posterior", "{d}/posterior"],
        "--strategies: quick_fix@1e+09: none of its actions comes between now",
    ),
    "forecast strategy at -0 and 0": (
        FORECAST + ["--until", "24", "--strategies", "quick_fix@0,quick_fix@-0", "--posterior", "{d}/posterior"],
        "--strategies: quick_fix@0: given twice",
    ),
    "forecast posterior weights all 0": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--posterior", "{exp}"],
        "posterior.csv: weights sum to 0",
        2,
        "posterior",
        "posterior.csv=generation,particle,spread.anger_dose,capture_fraction,weight\n1,0,0.3,1,0\n",
    ),
    "forecast posterior value outside its prior": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--posterior", "{exp}"],
        "posterior.csv: row 1: spread.anger_dose '50'; allowed: a number from 0.05 to 0.8",
        2,
        "posterior",
        "posterior.csv=generation,particle,spread.anger_dose,capture_fraction,weight\n1,0,50,1,1\n",
    ),
    "forecast posterior diagnostics garbage": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--posterior", "{exp}"],
        "diagnostics.json: no threshold of the last generation",
        2,
        "posterior",
        "diagnostics.json=garbage",
    ),
    "forecast posterior data edited": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--posterior", "{exp}"],
        "observed.csv changed since the calibration ran",
        2,
        "posterior",
        "observed.csv=x\n",
    ),
    "forecast posterior without fingerprint": (
        FORECAST + ["--until", "24", "--strategies", "ignore", "--posterior", "{exp}"],
        "no readable .fingerprint.json",
        2,
        "posterior",
        "-.fingerprint.json",
    ),
    "run an option given as --": (["run", "{s}", "--replications=--"], "error: --replications: --: not a value"),
    "sweep vary given as --": (["sweep", "{s}", "--vary=--"], "error: --vary: --: not a value"),
    # explore: refused before the server starts (a good one would serve until stopped)
    "explore port -1": (["explore", "{s}", "--port", "-1"], "argument --port: -1 is below 0"),
    "explore port 70000": (["explore", "{s}", "--port", "70000"], "--port: 70000: out of range; allowed: 0 to 65535"),
    "explore host not here": (["explore", "{s}", "--host", "192.0.2.1"], "--host: 192.0.2.1: cannot serve there"),
    "explore host unknown": (["explore", "{s}", "--host", "no-such-host.invalid"], "--host: no-such-host.invalid"),
    "explore workers 0": (["explore", "{s}", "--workers", "0"], "argument --workers: 0 is below 1"),
    "explore unknown scenario": (["explore", "{f}/nosuch.toml"], "nosuch.toml: file not found"),
    "explore binary scenario": (["explore", "{f}/binary.toml"], "binary.toml: is not UTF-8 text"),
    "explore bad scenario value": (["explore", "{f}/wrong_type.toml"], "wrong_type.toml"),
    "explore FIFO": (["explore", "{f}/fifo.toml"], "fifo.toml"),
    "explore not a results folder": (["explore", "{f}/not_results"], "not_results"),
}
# Cases that hang or exhaust memory when the check is missing: run in a process of their own, with a timeout.
IN_A_PROCESS = {name for name in CASES if any(w in name for w in ("FIFO", "/dev/zero", "beyond", "megabyte"))}


def _argv(case, scenario, tmp_path, files=None, exp=None, done=None):
    argv = [
        a.replace("{s}", str(scenario)).replace("{f}", str(files)).replace("{exp}", str(exp)).replace("{d}", str(done))
        for a in case
    ]
    writes = ("run", "compare", "sweep", "sensitivity", "calibrate", "forecast")
    if "--out" not in argv and argv[0] in writes and "--resume" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    return argv


def _tamper(exp, how: str) -> None:
    """Spoil one file of a finished folder copy: `NAME` garbage, `NAME=TEXT` that text, `-NAME` deleted."""
    if how.startswith("-"):
        (exp / how[1:]).unlink()
    elif "=" in how:
        name, text = how.split("=", 1)
        (exp / name).write_text(text)
    else:
        (exp / how).write_bytes((exp / how).read_bytes()[:20] + b"\x00 garbage")


def _files_of(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_one_line_and_no_folder(name, scenario, files, done, tmp_path, monkeypatch, capsys):
    case, expected, *more = CASES[name]
    more = list(more)
    status, copied, how = (more + [None, None])[:3] if more else (2, None, None)
    exp = None
    if copied:
        exp = tmp_path / "exp"
        shutil.copytree(done / copied, exp)
        if how:
            _tamper(exp, how)
        before = _files_of(exp)
    argv = _argv(case, scenario, tmp_path, files, exp, done)
    expected = expected.replace("{f}", str(files)).replace("{s}", str(scenario))
    if name in IN_A_PROCESS:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), *argv],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        code, err = proc.returncode, proc.stderr.strip()
    else:  # in this process: a traceback is an exception that fails the test
        from simulation.cli import main

        monkeypatch.chdir(tmp_path)
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's errors
            code = exc.code
        err = capsys.readouterr().err.strip()
    assert code == status, (name, code, err[-500:])
    assert "Traceback" not in err and len(err.splitlines()) == 1, (name, err[-500:])
    assert expected in err, (name, err)
    assert not (tmp_path / "out").exists() and not (tmp_path / "elsewhere").exists(), name
    assert not list(tmp_path.glob("results")) and not list(tmp_path.glob(".*partial*")), name
    assert not (files / "nowhere").exists() and not list(files.glob(".*partial*")), name
    if exp is not None:
        assert _files_of(exp) == before, f"{name}: the folder was changed"


def test_a_file_networks_scenario_toml_runs_again(tmp_path):
    """The resolved scenario of a file network (its size taken from the file) loads as it was written."""
    (tmp_path / "ten.txt").write_text("".join(f"{i} {(i + 1) % 10}\n" for i in range(10)))
    (tmp_path / "ten.toml").write_text('name = "ten"\n[network]\nkind = "file"\npath = "ten.txt"\n')
    sc = load_scenario(tmp_path / "ten.toml")
    (tmp_path / "resolved.toml").write_text(to_toml(sc))
    assert sc.population.size == 10 and load_scenario(tmp_path / "resolved.toml") == sc


def test_an_existing_file_as_the_experiment_folder_is_refused(scenario, tmp_path):
    target = tmp_path / "taken"
    target.write_text("a file")
    argv = [a.replace("{s}", str(scenario)) for a in COMPARE] + ["--out", str(target)]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "--out" in err, err
    assert target.read_text() == "a file"


def _children(pid: int) -> set[int]:
    """Every descendant of a process (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        out |= kids
        todo += list(kids)
    return out


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and the parent-death signal are Linux's")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_no_process_outlives_a_killed_two_worker_sweep(scenario, tmp_path, sig):
    import signal
    import time

    out = tmp_path / "exp"
    argv = ["sweep", str(scenario), "--vary", "brand.delay_hours=0,6,12", "--replications", "400", "--workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *argv, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline and not (out / "runs").is_dir() or not any((out / "runs").rglob("*.json")):
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
    proc.send_signal(getattr(signal, sig))
    proc.wait(timeout=60)
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)]
    if sig == "SIGTERM":  # like Ctrl-C: the resume line, exit status 130
        assert proc.returncode == 130 and "resume with" in proc.stderr.read()


def test_a_files_own_bad_value_still_names_the_file(tmp_path):
    from simulation.scenario import ScenarioError

    path = tmp_path / "own.toml"
    path.write_text(
        to_toml(load_scenario(small(**{"spread.visibility": 0.5}))).replace("visibility = 0.5", "visibility = 7")
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, ["brand.delay_hours=3"])
    assert str(err.value).startswith(f"{path}: spread.visibility: value 7")
    with pytest.raises(ScenarioError) as err:  # an API override: named as one
        load_scenario(small(), {"spread.visibility": 7})
    assert str(err.value).startswith("override spread.visibility=7: spread.visibility: value 7")


def test_the_readme_states_the_limits_the_code_has():
    from simulation.limits import (
        BYTES_PER_PROCESS,
        MAX_CONDITIONS,
        MAX_EDGES,
        MAX_RUNS,
        MAX_STEPS,
        MAX_VALUES,
        MAX_WORKERS,
    )
    from simulation.parameters import MIN_POPULATION
    from simulation.scenario import MAX_NAME, MAX_SCENARIO_BYTES

    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"{MAX_STEPS:,} steps per run, {MAX_VALUES:,} values per `--vary`, {MAX_CONDITIONS:,} conditions" in readme
    assert f"{MAX_RUNS:,} runs per experiment or study, {MAX_WORKERS:,} worker processes" in readme
    assert f"{MAX_EDGES:,} directed edges of a generated network" in readme
    assert f"about {BYTES_PER_PROCESS >> 20} MiB" in readme and f"at most {MAX_SCENARIO_BYTES >> 20} MiB" in readme
    assert f"at most {MAX_NAME} characters" in readme
    assert "`estimate_memory`" in readme and f"at least {MIN_POPULATION} consumers" in readme


def test_a_run_needing_more_memory_than_available_is_refused_unless_allow_large(
    scenario, tmp_path, monkeypatch, capsys
):
    from simulation import limits
    from simulation.cli import main

    monkeypatch.setattr(limits, "available_memory", lambda: 2**10)  # a machine with 1 KiB to spare
    out = tmp_path / "big"
    assert main(["run", str(scenario), "--out", str(out), "--no-figures"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"error: {scenario}: population.size" in err, err
    assert "x 1 process(es)" in err and "--allow-large lifts the limit" in err and not out.exists()
    argv = [a.replace("{s}", str(scenario)) for a in COMPARE] + ["--workers", "2", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "population.size" in err and "x 2 process(es)" in err and not out.exists(), err
    assert main(["run", str(scenario), "--out", str(out), "--no-figures", "--allow-large"]) == 0


def test_the_memory_estimate_grows_with_what_drives_it(scenario):
    from simulation.limits import estimate_memory
    from simulation.scenario import with_changes

    sc = load_scenario(scenario)
    one, big = estimate_memory(sc), estimate_memory(with_changes(sc, {"population.size": 2000}))
    assert big["consumers"] == 10 * one["consumers"] and 8 * one["network"] < big["network"] < 12 * one["network"]
    assert estimate_memory(sc, replications_held=4)["series"] == 4 * one["series"]


def test_allow_large_lifts_a_limit():
    from simulation.experiments import parse_values
    from simulation.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="10,001 values exceed the limit of 10,000; --allow-large"):
        parse_values("0:10000:1", "brand.delay_hours")
    assert len(parse_values("0:10000:1", "brand.delay_hours", allow_large=True)) == 10_001


def test_a_byte_order_mark_and_crlf_line_ends_read_as_intended(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'name = "bom"\r\n[population]\r\nsize = 300\r\n')
    sc = load_scenario(path)
    assert sc.name == "bom" and sc.population.size == 300


def test_a_dead_processs_partial_folder_is_removed_by_the_next_run(tmp_path):
    from simulation.results import atomic_folder

    stale = tmp_path / ".old.partial-999999999"  # no such process
    stale.mkdir()
    (stale / "timeseries.csv").write_text("half written")
    mine = tmp_path / f".live.partial-{os.getppid()}"  # a live process's: kept
    mine.mkdir()
    with atomic_folder(tmp_path / "new") as tmp:
        (tmp / "x").write_text("done")
    assert not stale.exists() and mine.exists() and (tmp_path / "new" / "x").read_text() == "done"


def test_an_experiment_where_every_run_fails_does_not_exit_0(scenario, tmp_path, monkeypatch, capsys):
    from simulation import experiments
    from simulation.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(experiments, "run_replication", broken)
    argv = [a.replace("{s}", str(scenario)) for a in COMPARE] + ["--workers", "1", "--out", str(tmp_path / "e")]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: every run failed (RuntimeError: boom)")


def test_a_seed_beyond_32_bits_runs_with_its_figures(scenario, tmp_path):
    from simulation.cli import main

    out = tmp_path / "big-seed"
    assert main(["run", str(scenario), "--seed", str(2**32), "--out", str(out)]) == 0
    assert (out / "figures" / "neighbourhood.png").is_file()


# -- a resume trusts nothing it has not checked ------------------------------------------------------


@pytest.fixture(scope="module")
def finished(scenario, tmp_path_factory):
    """A finished small sweep, and its argv (to run it again elsewhere)."""
    from simulation.cli import main

    out = tmp_path_factory.mktemp("exp") / "done"
    argv = [a.replace("{s}", str(scenario)) for a in SWEEP] + ["--replications", "3", "--workers", "1"]
    assert main([*argv, "--no-figures", "--out", str(out)]) == 0
    return out, argv


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--replications", "5"], "--replications is 5, the experiment's 3"),
        (["--strategies", "ignore,delay"], "--strategies is 'ignore,delay', the experiment's 'ignore,quick_fix'"),
        (["--vary", "brand.delay_hours=0,12"], "--vary is"),
        (["--seed", "99"], "--seed is 99"),
    ],
)
def test_a_resume_with_other_arguments_is_refused(finished, capsys, extra, message):
    from simulation.cli import main

    done, _ = finished
    before = {p: p.stat().st_mtime_ns for p in done.rglob("*") if p.is_file()}
    assert main(["sweep", "--resume", str(done), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert before == {p: p.stat().st_mtime_ns for p in done.rglob("*") if p.is_file()}  # nothing rewritten


def test_a_resume_with_the_same_arguments_goes_on(finished, capsys):
    from simulation.cli import main

    done, argv = finished
    assert main([*argv, "--resume", str(done), "--no-figures"]) == 0


def test_a_folder_another_live_process_works_on_is_refused(finished, capsys):
    from simulation.cli import main

    done, _ = finished
    lock = done / ".lock"
    lock.write_text(f"{os.getpid()}\n")  # this test's process: alive
    try:
        assert main(["sweep", "--resume", str(done), "--no-figures"]) == 2
        assert f"another process (PID {os.getpid()}) is working on this folder" in capsys.readouterr().err
        lock.write_text("999999999\n")  # a dead process's lock is taken over
        assert main(["sweep", "--resume", str(done), "--no-figures"]) == 0
        assert not lock.exists()
    finally:
        lock.unlink(missing_ok=True)


def test_a_resume_over_an_edited_network_file_is_refused(tmp_path, capsys):
    from simulation.cli import main

    edges = tmp_path / "edges.txt"
    edges.write_text("".join(f"{i} {(i + 1) % 30}\n{i} {(i + 7) % 30}\n" for i in range(30)))
    raw = small(**{"simulation.days": 1, "network.kind": "file", "network.path": str(edges)})
    raw["population"].pop("size", None)
    path = tmp_path / "file.toml"
    path.write_text(to_toml(load_scenario(raw)))
    out = tmp_path / "exp"
    argv = ["compare", str(path), "--strategies", "ignore,quick_fix", "--replications", "2", "--workers", "1"]
    assert main([*argv, "--no-figures", "--out", str(out)]) == 0
    with open(edges, "a") as f:
        f.write("3 17\n")
    assert main(["compare", "--resume", str(out)]) == 2
    assert "changed since the experiment started" in capsys.readouterr().err


def test_a_message_never_echoes_a_files_content(tmp_path):
    from simulation.scenario import ScenarioError

    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(small(**{"network.kind": "file", "network.path": str(secret)}))
    assert "line 1: expected two node labels" in str(err.value) and "hunter2" not in str(err.value)


def test_a_full_disk_ends_in_one_line_naming_the_folder(scenario, tmp_path, monkeypatch, capsys):
    import errno

    from simulation import experiment_folder, results
    from simulation.cli import main

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results, "write_csv", full)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--no-figures"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.splitlines()[-1] == f"error: {out}: No space left on device" and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))  # nothing half-written
    monkeypatch.setattr(experiment_folder, "write_csv", full)
    exp = tmp_path / "exp"
    argv = [a.replace("{s}", str(scenario)) for a in COMPARE] + ["--workers", "1", "--no-figures", "--out", str(exp)]
    assert main(argv) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"error: {exp}: No space left on device; finished runs are kept; resume with: python run.py " + (
        f"compare --resume {exp}"
    )


def test_without_workers_an_experiment_takes_the_workers_the_memory_holds(scenario, tmp_path, monkeypatch, capsys):
    from simulation import cli, limits

    per_run = sum(limits.estimate_memory(load_scenario(scenario)).values())
    monkeypatch.setattr(limits, "available_memory", lambda: int(2.5 * per_run))  # room for two runs at once
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 8)
    argv = [a.replace("{s}", str(scenario)) for a in COMPARE] + ["--no-figures", "--out", str(tmp_path / "e")]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "note: 2 worker(s) rather than one per core (8): the memory available holds 2 runs" in out
    assert "4 runs (2 worker(s))" in out
    assert cli.main([*argv[:-1], str(tmp_path / "f"), "--workers", "8"]) == 2  # asked for: refused, not reduced
    assert "x 4 process(es)" in capsys.readouterr().err


def test_a_study_without_boxes_exports_its_empty_table(done, tmp_path, capsys):
    from simulation.cli import main

    study = tmp_path / "study"
    shutil.copytree(done / "study", study)
    assert (study / "boxes.csv").read_text().strip() == ""  # one option and the baseline: no region to describe
    assert main(["export", str(study), "--format", "parquet"]) == 0
    assert (study / "boxes.parquet").is_file() and (study / "summary.parquet").is_file()


def test_an_interruption_a_library_turns_into_its_own_error_still_ends_as_interrupted(
    scenario, tmp_path, monkeypatch, capsys
):
    import signal
    import time

    from simulation import runner
    from simulation.cli import main

    def compiling(*args, **kwargs):  # as numba does when Ctrl-C lands while it compiles a kernel
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            raise RuntimeError("no compiled object yet for <Library 'read_negative'>") from None

    monkeypatch.setattr(runner, "run", compiling)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out)]) == 130
    err = capsys.readouterr().err.strip()
    assert err == "interrupted: nothing was written for unfinished work" and not out.exists()


def test_a_resume_reads_an_edited_origin_json_as_missing(done, tmp_path):
    from simulation.cli import main

    exp = tmp_path / "exp"
    shutil.copytree(done / "posterior", exp)
    (exp / "origin.json").write_text('{"reproduce": 5}')
    assert main(["calibrate", "--resume", str(exp), "--no-figures"]) == 0


def test_a_folder_among_the_generations_is_one_line(done, tmp_path, capsys):
    from simulation.cli import main

    exp = tmp_path / "exp"
    shutil.copytree(done / "posterior", exp)
    (exp / "generations" / "g005.npz").mkdir()
    assert main(["calibrate", "--resume", str(exp)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "g005.npz: not a generation file" in err
