rule submission:
    input:
        unpack(planned(plan.submission_inputs)),
    output:
        f"{TASK_DIR}/submission.csv",
    log:
        "logs/submission/{task}.log",
    benchmark:
        "benchmarks/submission/{task}.tsv"
    # Seconds of bookkeeping on small files: not worth a cluster job.
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        names=planned(plan.ranked_names),
        scoring=planned(plan.task_scoring),
        label_scale=planned(plan.task_label_scale),
    script:
        "../scripts/submission.py"
