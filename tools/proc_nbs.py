"""`nbdev_proc_nbs --path DIR` minus its first step: without Quarto, nbdev downloads Quarto with sudo and then reinstalls
this package with pip (nbdev.quarto._ensure_quarto). An offline docs build must touch neither the network nor the venv."""
import sys

if __name__ == '__main__':
    import nbdev.doclinks
    from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar
    from nbdev.serve import proc_nbs
    path = sys.argv[1] if len(sys.argv) > 1 else 'nbs'
    refresh_quarto_yml(); nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__(path=path)
    proc_nbs(path, n_workers=1)
