"""The demo study: DDA on generated toy data (docs/demo.md).

* :mod:`.toy`: the street-scene generator; it also writes the on-disk
  SYNTHIA, Cityscapes and Mapillary trees (``tools/make_toy_data.py``);
* :mod:`.data`: the 7-class toy data in memory (class-specific depths,
  class-conditional target look);
* :mod:`.prior`: the GMM prior fitted on the demo source;
* :mod:`.design`: the study's knobs, checked (``--design KEY=VALUE``);
* :mod:`.model`: the arms' networks and optimisers;
* :mod:`.protocol`: one training seed (pre-training, arms, BN, self-training,
  oracle);
* :mod:`.mechanism`: the mechanism check of DDA's losses;
* :mod:`.stats`: paired differences and t intervals;
* :mod:`.summary`, :mod:`.runner`: the printed summary and the command line
  (``tools/run_demo.py``);
* :mod:`.compare`: two runs of one design side by side (other machines,
  precisions, builds) and the per-row tolerance their moves imply.
"""
