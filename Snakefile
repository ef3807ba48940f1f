# dlgenomics: download -> encode (+ siRNA features) -> train (task x architecture x fold) ->
# evaluate -> ensemble -> leaderboard, submission, figures; interpretation of the best network;
# cross-dataset evaluation; virtual screens. Simulated tasks start at `simulate`.
# Configuration: config/config.yaml (documented in config/README.md); run `snakemake -n` to plan.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


rule all:
    default_target: True
    input:
        all_outputs(),


include: "workflow/rules/download.smk"
include: "workflow/rules/encode.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/submission.smk"
include: "workflow/rules/screen.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/report.smk"
