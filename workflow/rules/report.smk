# What the report shows beyond results: where and with what each model was trained, and
# what every rule cost (`benchmark:` files).


rule provenance:
    input:
        runs=planned(plan.trained_runs),
        data=f"{ENCODED}/summary.json",
    output:
        json=f"{TASK_DIR}/provenance.json",
        html=report(
            f"{TASK_DIR}/provenance.html",
            category="{task}",
            subcategory="provenance",
            caption="../report/provenance.rst",
            labels={"figure": "provenance"},
        ),
    log:
        "logs/provenance/{task}.log",
    benchmark:
        "benchmarks/provenance/{task}.tsv"
    # Seconds of bookkeeping on small files: not worth a cluster job.
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/provenance.py"


rule benchmarks:
    input:
        analysis_outputs,
    output:
        csv=f"{BENCHMARK_DIR}/jobs.csv",
        html=report(
            f"{BENCHMARK_DIR}/summary.html",
            category="run",
            subcategory="benchmarks",
            caption="../report/benchmarks.rst",
            labels={"figure": "time and memory per rule"},
        ),
        plot=report(
            f"{BENCHMARK_DIR}/summary.png",
            category="run",
            subcategory="benchmarks",
            caption="../report/benchmarks.rst",
            labels={"figure": "time and memory per rule (plot)"},
        ),
    log:
        "logs/benchmarks.log",
    benchmark:
        "benchmarks/benchmarks/run.tsv"
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        # Written by every job before this one (its inputs are everything else the run makes).
        folder="benchmarks",
    script:
        "../scripts/benchmarks.py"
