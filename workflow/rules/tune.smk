# Tuning before training (the task's `tune`): per task, architecture and fold, one study in a
# journal file, its trials run by `workers` jobs at once, its best values read by `train`.


rule tune:
    input:
        planned(plan.all_tuned_of),


rule tune_study:
    output:
        journal=f"{TUNE_DIR}/journal.log",
    log:
        "logs/tune_study/{task}/{arch}/fold{fold}.log",
    benchmark:
        "benchmarks/tune_study/{task}/{arch}/fold{fold}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        tune=planned(plan.tune_settings),
        space=planned(plan.tune_space),
    script:
        "../scripts/tune_study.py"


rule tune_trials:
    input:
        unpack(planned(plan.tune_trial_inputs)),
    output:
        trials=f"{TUNE_DIR}/worker{{worker}}.json",
    log:
        "logs/tune_trials/{task}/{arch}/fold{fold}/worker{worker}.log",
    benchmark:
        "benchmarks/tune_trials/{task}/{arch}/fold{fold}/worker{worker}.tsv"
    wildcard_constraints:
        arch=NETWORK_PATTERN,
        worker=r"\d+",
    conda:
        "../../envs/train.yaml"
    threads: planned(plan.train_threads)
    resources:
        gpu=planned(plan.train_gpus),
    params:
        kind=planned(plan.task_kind),
        scoring=planned(plan.task_scoring),
        model=planned(plan.arch_model),
        settings=planned(plan.train_settings),
        model_params=planned(plan.arch_params),
        tune=planned(plan.tune_settings),
        space=planned(plan.tune_space),
    script:
        "../scripts/tune_trials.py"


rule tune_fold:
    input:
        journal=f"{TUNE_DIR}/journal.log",
        trials=planned(plan.tune_workers),
    output:
        best=f"{TUNE_DIR}/best.json",
    log:
        "logs/tune_fold/{task}/{arch}/fold{fold}.log",
    benchmark:
        "benchmarks/tune_fold/{task}/{arch}/fold{fold}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        scoring=planned(plan.task_scoring),
    script:
        "../scripts/tune_fold.py"
