rule predict_sequences:
    input:
        unpack(planned(plan.predict_inputs)),
    output:
        csv=f"{PREDICT_DIR}/predictions.csv",
        parquet=f"{PREDICT_DIR}/predictions.parquet",
        plot=report(
            f"{PREDICT_DIR}/distribution.png",
            category="predictions",
            subcategory="{job}",
            caption="../report/predict.rst",
            labels={"figure": "predictions: {job}"},
        ),
    log:
        "logs/predict/{job}.log",
    benchmark:
        "benchmarks/predict_sequences/{job}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        job=planned(plan.predict_config),
        members=planned(plan.predict_members),
        scoring=planned(plan.predict_scoring),
    script:
        "../scripts/predict.py"


rule predict:
    input:
        plan.all_predictions(config),


rule score_variants:
    input:
        unpack(planned(plan.variants_inputs)),
    output:
        csv=f"{VARIANTS_DIR}/effects.csv",
        parquet=f"{VARIANTS_DIR}/effects.parquet",
        ism=f"{VARIANTS_DIR}/ism.npz",
        plot=report(
            f"{VARIANTS_DIR}/top_variants.png",
            category="variant effects",
            subcategory="{job}",
            caption="../report/variants.rst",
            labels={"figure": "top variants: {job}"},
        ),
    log:
        "logs/variants/{job}.log",
    benchmark:
        "benchmarks/score_variants/{job}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        job=planned(plan.variants_config),
        members=planned(plan.variants_members),
    script:
        "../scripts/variant_effects.py"


rule variant_effects:
    input:
        plan.all_variant_effects(config),
