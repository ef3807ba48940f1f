rule evaluate:
    input:
        predictions=planned(plan.fold_outputs, "predictions.parquet"),
        histories=planned(plan.fold_outputs, "history.csv"),
        encode_summary=f"{ENCODED}/summary.json",
    output:
        metrics=f"{EVAL_DIR}/metrics.json",
        predictions=f"{EVAL_DIR}/predictions.parquet",
        curves=report(
            f"{EVAL_DIR}/learning_curves.png",
            category="{task}",
            subcategory="learning curves",
            caption="../report/learning_curves.rst",
            labels={"figure": "learning curves: {arch}"},
        ),
        plot=report(
            f"{EVAL_DIR}/predictions.png",
            category="{task}",
            subcategory="predictions",
            caption="../report/predictions.rst",
            labels={"figure": "predictions: {arch}"},
        ),
        # One figure per test file (or `held-out.png`); empty without labelled test rows.
        test_plots=report(
            directory(f"{EVAL_DIR}/test"),
            patterns=["{test_set}.png"],
            category="{task}",
            subcategory="predictions",
            caption="../report/predictions.rst",
            labels={"figure": "predictions: {arch}, test: {test_set}"},
        ),
    log:
        "logs/evaluate/{task}/{arch}.log",
    benchmark:
        "benchmarks/evaluate/{task}/{arch}.tsv"
    conda:
        "../../envs/report.yaml"
    params:
        scoring=planned(plan.task_scoring),
    script:
        "../scripts/evaluate.py"


rule ensemble:
    input:
        members=planned(plan.ensemble_inputs),
        encode_summary=f"{ENCODED}/summary.json",
    output:
        metrics=f"{ENSEMBLE_DIR}/metrics.json",
        predictions=f"{ENSEMBLE_DIR}/predictions.parquet",
        weights=f"{ENSEMBLE_DIR}/weights.json",
        plot=report(
            f"{ENSEMBLE_DIR}/predictions.png",
            category="{task}",
            subcategory="predictions",
            caption="../report/predictions.rst",
            labels={"figure": "predictions: ensemble"},
        ),
        test_plots=report(
            directory(f"{ENSEMBLE_DIR}/test"),
            patterns=["{test_set}.png"],
            category="{task}",
            subcategory="predictions",
            caption="../report/predictions.rst",
            labels={"figure": "predictions: ensemble, test: {test_set}"},
        ),
    log:
        "logs/ensemble/{task}.log",
    benchmark:
        "benchmarks/ensemble/{task}.tsv"
    # Seconds of bookkeeping on small files: not worth a cluster job.
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        scoring=planned(plan.task_scoring),
        members=planned(plan.ensemble_members),
        fit=planned(plan.ensemble_fit),
    script:
        "../scripts/ensemble.py"


rule leaderboard:
    input:
        metrics=planned(plan.architecture_metrics),
        predictions=planned(plan.architecture_predictions),
        groups=f"{ENCODED}/groups.parquet",
    output:
        csv=LEADERBOARD,
        md=f"{TASK_DIR}/leaderboard.md",
        html=report(
            f"{TASK_DIR}/leaderboard.html",
            category="{task}",
            subcategory="leaderboard",
            caption="../report/leaderboard.rst",
            labels={"figure": "leaderboard"},
        ),
    log:
        "logs/leaderboard/{task}.log",
    benchmark:
        "benchmarks/leaderboard/{task}.tsv"
    # Seconds of bookkeeping on small files: not worth a cluster job.
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        scoring=planned(plan.task_scoring),
        names=planned(plan.ranked_names),
        tuned=planned(plan.tuned_architectures),
    script:
        "../scripts/leaderboard.py"


rule classification_figures:
    input:
        unpack(planned(plan.figure_inputs)),
    output:
        roc=report(
            f"{FIGURES_DIR}/roc.png",
            category="{task}",
            subcategory="curves",
            caption="../report/curves.rst",
            labels={"figure": "ROC curves"},
        ),
        pr=report(
            f"{FIGURES_DIR}/pr.png",
            category="{task}",
            subcategory="curves",
            caption="../report/curves.rst",
            labels={"figure": "precision-recall curves"},
        ),
        confusion=report(
            f"{FIGURES_DIR}/confusion.png",
            category="{task}",
            subcategory="curves",
            caption="../report/curves.rst",
            labels={"figure": "confusion matrix"},
        ),
        # One figure per test file (or `held-out.png`); empty without labelled test rows.
        test_roc=report(
            directory(f"{FIGURES_DIR}/test_roc"),
            patterns=["{test_set}.png"],
            category="{task}",
            subcategory="curves",
            caption="../report/curves.rst",
            labels={"figure": "ROC curves, test: {test_set}"},
        ),
        test_pr=report(
            directory(f"{FIGURES_DIR}/test_pr"),
            patterns=["{test_set}.png"],
            category="{task}",
            subcategory="curves",
            caption="../report/curves.rst",
            labels={"figure": "precision-recall curves, test: {test_set}"},
        ),
    log:
        "logs/classification_figures/{task}.log",
    benchmark:
        "benchmarks/classification_figures/{task}.tsv"
    # Seconds of bookkeeping on small files: not worth a cluster job.
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        scoring=planned(plan.task_scoring),
        names=planned(plan.ranked_names),
    script:
        "../scripts/classification_figures.py"


rule track_figures:
    input:
        unpack(planned(plan.figure_inputs)),
    output:
        figure=report(
            f"{FIGURES_DIR}/tracks.png",
            category="{task}",
            subcategory="per track",
            caption="../report/tracks.rst",
            labels={"figure": "per-track figures"},
        ),
        table=f"{TASK_DIR}/leaderboard_tracks.tsv",
    log:
        "logs/track_figures/{task}.log",
    benchmark:
        "benchmarks/track_figures/{task}.tsv"
    # Seconds of bookkeeping on small files: not worth a cluster job.
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        scoring=planned(plan.task_scoring),
        names=planned(plan.ranked_names),
    script:
        "../scripts/track_figures.py"
