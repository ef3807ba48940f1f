rule encode:
    input:
        planned(plan.encode_inputs),
    output:
        train=f"{ENCODED}/train.parquet",
        test=f"{ENCODED}/test.parquet",
        vocab=f"{ENCODED}/vocab.json",
        # Each training row's split group (what the folds keep together): the leaderboard's
        # bootstrap resamples these.
        groups=f"{ENCODED}/groups.parquet",
        # Rows per role, rows dropped and why, values mapped to the unknown id: for the report.
        summary=f"{ENCODED}/summary.json",
    log:
        "logs/encode/{task}.log",
    benchmark:
        "benchmarks/encode/{task}.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        kind=planned(plan.task_kind),
        task=planned(plan.task_data),
        files=planned(plan.encode_files),
    script:
        "../scripts/encode.py"


rule features:
    input:
        raw=planned(plan.encode_inputs),
        train=f"{ENCODED}/train.parquet",
        test=f"{ENCODED}/test.parquet",
    output:
        train=f"{FEATURES}/train.parquet",
        test=f"{FEATURES}/test.parquet",
        spec=f"{FEATURES}/features.json",
    log:
        "logs/features/{task}.log",
    benchmark:
        "benchmarks/features/{task}.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        kind=planned(plan.task_kind),
        task=planned(plan.task_data),
    script:
        "../scripts/features.py"
