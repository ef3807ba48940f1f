rule export:
    input:
        unpack(planned(plan.export_inputs)),
    output:
        folder=directory(EXPORT_DIR),
    log:
        "logs/export/{task}.log",
    benchmark:
        "benchmarks/export/{task}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        task=planned(plan.task_config),
        networks=planned(plan.network_architectures),
    script:
        "../scripts/export.py"
