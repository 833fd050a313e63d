"""GAN families beyond the classic one: each is a step function and a small config beside it.

The classic GAN of lessons 05-10 lives in `gan_course.train` (`gan_step`, `TrainConfig`,
`train_gan`). Every other family brings its own module here, never a switch in another's loop:

* `lapgan`: a Laplacian pyramid of GANs (Denton et al. 2015), every level trained on the real
  pyramid, sampled coarse to fine (lesson 11);
* `progressive`: progressive growing (Karras et al. 2018): both networks grown 4x4 -> 8x8 ->
  16x16, each new block faded in, with WGAN-GP (lesson 12);
* `stylegan`: StyleGAN's training (Karras et al. 2019): the logistic loss with lazy R1, style
  mixing, the average w for truncation (lesson 13);
* `superres`: super-resolution (Ledig et al. 2017): SRResNet on a pixel loss, then SRGAN with a
  content loss on a frozen feature network and an adversarial term, on photographs (lesson 14);
* `paired`: image-to-image translation with pairs (pix2pix, Isola et al. 2017): G(x) against
  the target y, with an L1 term;
* `cycle`: unpaired translation (CycleGAN, Zhu et al. 2017): two generators, two
  discriminators, cycle and identity losses, a replay buffer of fakes (lesson 15, with
  `paired`);
* `seqgan`: text (Yu et al. 2017): a token LSTM trained by maximum likelihood, then by policy
  gradient with Monte-Carlo rollouts as rewards; the Gumbel-softmax alternative beside it
  (lesson 16, in preparation).

Each module has a config dataclass (its hyperparameters, saved with checkpoints), a
`*_step(state) -> dict` that does one iteration on a `gan_course.loop.TrainState` and returns
what to log, and a `train_*` that builds the state and runs the step through `loop.fit` (so
progress bars, the live monitor, checkpoints, Ctrl-C and the NaN stop all come for free).
`CONTRIBUTING.md` has the checklist for adding one.
"""
