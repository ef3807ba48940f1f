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
    threads: planned(plan.train_threads)
    resources:
        gpu=planned(plan.train_gpus),
    params:
        model=planned(plan.arch_model),
        settings=planned(plan.train_settings),
        model_params=planned(plan.arch_params),
    script:
        "../scripts/pretrain.py"


rule train:
    input:
        unpack(planned(plan.train_inputs)),
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
    threads: planned(plan.train_threads)
    resources:
        gpu=planned(plan.train_gpus),
    params:
        kind=planned(plan.task_kind),
        scoring=planned(plan.task_scoring),
        task=planned(plan.task_data),
        model=planned(plan.arch_model),
        multitask=planned(plan.arch_multitask),
        settings=planned(plan.train_settings),
        model_params=planned(plan.arch_params),
        # Not an output: Snakemake would delete it when the job fails, and it is what a
        # rerun of a killed job resumes from. Removed by the job once it completes.
        resume=f"{MODEL_DIR}/resume.pt",
    script:
        "../scripts/train.py"


rule train_tabular:
    input:
        unpack(planned(plan.tabular_inputs)),
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
    threads: planned(plan.train_threads)
    params:
        scoring=planned(plan.task_scoring),
        task=planned(plan.task_data),
        settings=planned(plan.tabular_settings),
        model_params=planned(plan.arch_params),
    script:
        "../scripts/train_tabular.py"
