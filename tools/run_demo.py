"""DDA on generated toy data: the demo study of docs/demo.md.

Example::

    python tools/run_demo.py                 # make demo: seeds 0 1 2
    python tools/run_demo.py --study         # make demo-seeds: seeds 0-7

A command line over :func:`mmseg_dda.demo.runner.main`: generates the toy
data (7 classes, toy SYNTHIA -> toy Cityscapes), fits the GMM prior on the
source, then per training seed (in parallel, one thread each) pre-trains on
the source and trains the source-only, entropy-only adversarial and DDA arms
from that checkpoint, evaluates each with its own and with target BN
statistics, self-trains from DDA and trains a target-label oracle. Prints the
mean ± std over the seeds, paired differences with 95 % t intervals, the
discriminator's accuracy and the mechanism check.
"""
from mmseg_dda.demo.runner import main

if __name__ == '__main__':
    main()
