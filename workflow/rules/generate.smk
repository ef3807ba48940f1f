# Sequence design on tasks of DNA sequences with a `design` config: a WGAN-GP learns the
# training sequences the objective chooses (positives, a class, the highest targets), then new
# ones are sampled and judged by the task's best network.


rule train_gan:
    input:
        unpack(planned(plan.gan_inputs)),
    output:
        generator=f"{GENERATED_DIR}/generator.pt",
        history=f"{GENERATED_DIR}/history.csv",
        run=f"{GENERATED_DIR}/run.json",
        curves=report(
            f"{GENERATED_DIR}/training_curves.png",
            category="{task}",
            subcategory="generated sequences",
            caption="../report/generated.rst",
            labels={"figure": "GAN training curves"},
        ),
    log:
        "logs/train_gan/{task}.log",
    benchmark:
        "benchmarks/train_gan/{task}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: planned(plan.train_threads)
    resources:
        gpu=planned(plan.train_gpus),
    params:
        objective=planned(plan.design_objective),
        settings=planned(plan.design_settings),
        known_motif=planned(plan.known_consensus),
        device=planned(plan.train_device),
    script:
        "../scripts/train_gan.py"


rule generate:
    input:
        unpack(planned(plan.generate_inputs)),
    output:
        fasta=f"{GENERATED_DIR}/sequences.fasta",
        parquet=f"{GENERATED_DIR}/sequences.parquet",
        csv=f"{GENERATED_DIR}/judged.csv",
        html=report(
            f"{GENERATED_DIR}/judged.html",
            category="{task}",
            subcategory="generated sequences",
            caption="../report/generated.rst",
            labels={"figure": "designed sequences, judged"},
        ),
        logo=report(
            f"{GENERATED_DIR}/logo.png",
            category="{task}",
            subcategory="generated sequences",
            caption="../report/generated.rst",
            labels={"figure": "designed sequences: logo"},
        ),
    log:
        "logs/generate/{task}.log",
    benchmark:
        "benchmarks/generate/{task}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        objective=planned(plan.design_objective),
        settings=planned(plan.design_settings),
        known_motif=planned(plan.known_consensus),
        networks=planned(plan.network_architectures),
        interpretation=planned(plan.interpretation_settings),
    script:
        "../scripts/generate.py"
