rule interpret:
    input:
        unpack(planned(plan.interpret_inputs)),
    output:
        summary=f"{INTERPRET_DIR}/summary.json",
        attributions=f"{INTERPRET_DIR}/attributions.npz",
        logos=report(
            f"{INTERPRET_DIR}/logos.png",
            category="{task}",
            subcategory="interpretation",
            caption="../report/interpretation.rst",
            labels={"figure": "motif logos"},
        ),
        maps=report(
            f"{INTERPRET_DIR}/attribution_maps.png",
            category="{task}",
            subcategory="interpretation",
            caption="../report/interpretation.rst",
            labels={"figure": "attribution maps"},
        ),
        heatmap=report(
            f"{INTERPRET_DIR}/token_attributions.png",
            category="{task}",
            subcategory="interpretation",
            caption="../report/interpretation.rst",
            labels={"figure": "attributions per input"},
        ),
    log:
        "logs/interpret/{task}.log",
    benchmark:
        "benchmarks/interpret/{task}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: 2
    params:
        scoring=planned(plan.task_scoring),
        networks=planned(plan.network_architectures),
        settings=planned(plan.interpretation_settings),
    script:
        "../scripts/interpret.py"
