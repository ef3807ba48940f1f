rule encode:
    input:
        encode_inputs,
    output:
        train=f"{ENCODED}/train.parquet",
        test=f"{ENCODED}/test.parquet",
        vocab=f"{ENCODED}/vocab.json",
    log:
        "logs/encode/{task}.log",
    conda:
        "../../envs/data.yaml"
    params:
        kind=task_kind,
        task=task_config,
    script:
        "../scripts/encode.py"
