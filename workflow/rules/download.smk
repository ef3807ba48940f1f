# A local file the config does not pin is followed: an input, so Snakemake names it when it
# reruns the download, and its size and mtime a parameter, so any change of either reruns it.
rule download:
    input:
        planned(plan.download_origin),
    output:
        f"{RAW_DIR}/{{dataset}}/{{file}}",
    log:
        "logs/download/{dataset}/{file}.log",
    benchmark:
        "benchmarks/download/{dataset}/{file}.tsv"
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        spec=planned(plan.download_spec),
        origin=planned(plan.download_origin_stamp),
    script:
        "../scripts/download.py"


# Generated data (kind simulated_binding): sequences with JASPAR motif sites planted.
rule simulate:
    output:
        sequences=f"{SIMULATED_DIR}/{SIMULATED_FILE}",
        motifs=f"{SIMULATED_DIR}/motifs.json",
    log:
        "logs/simulate/{task}.log",
    benchmark:
        "benchmarks/simulate/{task}.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        settings=planned(plan.simulate_settings),
    script:
        "../scripts/simulate.py"
