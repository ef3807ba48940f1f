rule cross_evaluate:
    input:
        unpack(planned(plan.cross_inputs)),
    output:
        scores=f"{CROSS_DIR}/predictions.parquet",
        csv=f"{CROSS_DIR}/leaderboard.csv",
        md=f"{CROSS_DIR}/leaderboard.md",
        html=report(
            f"{CROSS_DIR}/leaderboard.html",
            category="cross-dataset",
            subcategory="{pair}",
            caption="../report/cross.rst",
            labels={"figure": "cross-dataset leaderboard"},
        ),
    log:
        "logs/cross/{pair}.log",
    benchmark:
        "benchmarks/cross_evaluate/{pair}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        pair=planned(plan.cross_pair),
        members=planned(plan.cross_members),
        evaluated=planned(plan.cross_evaluated_task),
    script:
        "../scripts/cross_evaluate.py"


rule screen_transcript:
    input:
        unpack(planned(plan.screen_inputs)),
    output:
        table=f"{SCREEN_DIR}/candidates.csv",
        plot=report(
            f"{SCREEN_DIR}/knockdown.png",
            category="virtual screening",
            subcategory="{screen}",
            caption="../report/screen.rst",
            labels={"figure": "knockdown along the transcript"},
        ),
    log:
        "logs/screen/{screen}.log",
    benchmark:
        "benchmarks/screen_transcript/{screen}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        screen=planned(plan.screen_config),
        members=planned(plan.screen_members),
        task=planned(plan.screen_task),
    script:
        "../scripts/screen.py"


rule screen:
    input:
        plan.all_screens(config),
