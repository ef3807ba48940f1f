# dlgenomics: download -> encode (+ siRNA features) -> train (task x architecture x fold) ->
# evaluate -> ensemble -> leaderboard, submission, figures; interpretation of the best network;
# cross-dataset evaluation; virtual screens. Simulated tasks start at `simulate`.
# Configuration: config/config.yaml (documented in config/README.md); run `snakemake -n` to plan.
import os
import sys

from snakemake.utils import min_version

min_version("9.0")

# The package comes from this checkout for every job, whatever environment runs it: a conda env
# of envs/ holds the dependencies only, because Snakemake builds each env from a copy of its
# file (in .snakemake/conda/), where a relative `pip install -e ..` would miss the package.
PACKAGE_ROOT = os.path.join(workflow.basedir, "workflow")
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])
)
sys.path.insert(0, PACKAGE_ROOT)


# Passed on to every job, a cluster job included.
envvars:
    "PYTHONPATH",


configfile: "config/config.yaml"


# The landing page of `snakemake --report`: what the workflow did and where to start reading.
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# Every file the run makes (common.smk, `all_outputs`): a plain rerun remakes any one deleted.
rule all:
    default_target: True
    input:
        all_outputs,


include: "workflow/rules/download.smk"
include: "workflow/rules/encode.smk"
include: "workflow/rules/tune.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/submission.smk"
include: "workflow/rules/screen.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/report.smk"


# Rows encode dropped, said where a user reads (one warning line per task), not only in a log.
onsuccess:
    from dlgenomics.data.encode import print_dropped_rows

    print_dropped_rows(TASKS, f"{ENCODED}/summary.json")


onerror:
    from dlgenomics.data.encode import print_dropped_rows

    print_dropped_rows(TASKS, f"{ENCODED}/summary.json")
