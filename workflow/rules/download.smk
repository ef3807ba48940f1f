rule download:
    output:
        "resources/data/{dataset}/{file}",
    log:
        "logs/download/{dataset}/{file}.log",
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        spec=download_spec,
    script:
        "../scripts/download.py"
