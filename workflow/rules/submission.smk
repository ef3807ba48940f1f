rule submission:
    input:
        unpack(submission_inputs),
    output:
        "results/{task}/submission.csv",
    log:
        "logs/submission/{task}.log",
    conda:
        "../../envs/report.yaml"
    params:
        kind=task_kind,
        architectures=task_architectures,
    script:
        "../scripts/submission.py"
