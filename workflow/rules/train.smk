rule train:
    input:
        train=f"{ENCODED}/train.parquet",
        test=f"{ENCODED}/test.parquet",
        vocab=f"{ENCODED}/vocab.json",
    output:
        model=f"{MODEL_DIR}/model.pt",
        history=f"{MODEL_DIR}/history.csv",
        predictions=f"{MODEL_DIR}/predictions.parquet",
        run=f"{MODEL_DIR}/run.json",
    log:
        "logs/train/{task}/{arch}/fold{fold}.log",
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=1,
    params:
        kind=task_kind,
        task=task_config,
        settings=train_settings,
        model_params=arch_params,
    script:
        "../scripts/train.py"
