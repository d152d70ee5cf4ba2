"""Regularized training, calibration and the codecs a checkpoint needs.

The package is split so that importing it stays light: :mod:`~driftguard.training.metrics`,
:mod:`~driftguard.training.temperature`, :mod:`~driftguard.training.encoding` and
:mod:`~driftguard.training.config` need only numpy and scipy; torch is imported only by
:mod:`~driftguard.training.torch_models` and :mod:`~driftguard.training.torch_trainer`, so
``import driftguard.training`` imports nothing heavy. Import the sub-module you need.
"""
