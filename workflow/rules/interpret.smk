rule interpret:
    input:
        unpack(interpret_inputs),
    output:
        summary=f"{INTERPRET_DIR}/summary.json",
        attributions=f"{INTERPRET_DIR}/attributions.npz",
        logos=report(
            f"{INTERPRET_DIR}/logos.png", category="{task}", subcategory="interpretation"
        ),
        maps=report(
            f"{INTERPRET_DIR}/attribution_maps.png",
            category="{task}",
            subcategory="interpretation",
        ),
        heatmap=report(
            f"{INTERPRET_DIR}/token_attributions.png",
            category="{task}",
            subcategory="interpretation",
        ),
    log:
        "logs/interpret/{task}.log",
    conda:
        "../../envs/train.yaml"
    threads: 2
    params:
        kind=task_kind,
        networks=network_architectures,
        settings=interpretation_settings,
    script:
        "../scripts/interpret.py"
