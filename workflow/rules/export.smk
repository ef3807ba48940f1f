rule export:
    input:
        unpack(export_inputs),
    output:
        folder=directory(EXPORT_DIR),
    log:
        "logs/export/{task}.log",
    benchmark:
        "benchmarks/export/{task}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        task=task_config,
        networks=network_architectures,
    script:
        "../scripts/export.py"
