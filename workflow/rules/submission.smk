rule submission:
    input:
        unpack(submission_inputs),
    output:
        "results/{task}/submission.csv",
    log:
        "logs/submission/{task}.log",
    benchmark:
        "benchmarks/submission/{task}.tsv"
    # Seconds of bookkeeping on small files: not worth a cluster job.
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        names=ranked_names,
        scoring=task_scoring,
        label_scale=task_label_scale,
    script:
        "../scripts/submission.py"
