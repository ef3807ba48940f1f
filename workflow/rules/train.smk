rule pretrain:
    input:
        train=f"{ENCODED}/train.parquet",
        test=f"{ENCODED}/test.parquet",
        vocab=f"{ENCODED}/vocab.json",
    output:
        encoder=f"{PRETRAIN_DIR}/encoder.pt",
        history=f"{PRETRAIN_DIR}/history.csv",
    log:
        "logs/pretrain/{task}/{arch}.log",
    benchmark:
        "benchmarks/pretrain/{task}/{arch}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=train_gpus,
    params:
        model=arch_model,
        settings=train_settings,
        model_params=arch_params,
    script:
        "../scripts/pretrain.py"


rule train:
    input:
        unpack(train_inputs),
    output:
        model=f"{MODEL_DIR}/model.pt",
        history=f"{MODEL_DIR}/history.csv",
        predictions=f"{MODEL_DIR}/predictions.parquet",
        run=f"{MODEL_DIR}/run.json",
    log:
        "logs/train/{task}/{arch}/fold{fold}.log",
    benchmark:
        "benchmarks/train/{task}/{arch}/fold{fold}.tsv"
    wildcard_constraints:
        arch=NETWORK_PATTERN,
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=train_gpus,
    params:
        kind=task_kind,
        scoring=task_scoring,
        task=task_data,
        model=arch_model,
        multitask=arch_multitask,
        settings=train_settings,
        model_params=arch_params,
        # Not an output: Snakemake would delete it when the job fails, and it is what a
        # rerun of a killed job resumes from. Removed by the job once it completes.
        resume=f"{MODEL_DIR}/resume.pt",
    script:
        "../scripts/train.py"


rule train_tabular:
    input:
        unpack(tabular_inputs),
    output:
        model=f"{MODEL_DIR}/model.joblib",
        history=f"{MODEL_DIR}/history.csv",
        predictions=f"{MODEL_DIR}/predictions.parquet",
        run=f"{MODEL_DIR}/run.json",
    log:
        "logs/train/{task}/{arch}/fold{fold}.log",
    benchmark:
        "benchmarks/train_tabular/{task}/{arch}/fold{fold}.tsv"
    wildcard_constraints:
        arch=TABULAR_PATTERN,
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    params:
        scoring=task_scoring,
        task=task_data,
        settings=tabular_settings,
        model_params=arch_params,
    script:
        "../scripts/train_tabular.py"
