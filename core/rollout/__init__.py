"""The rollout engine: everything between "this build may go out" and "it is out, or it is back".

- :mod:`~releasegate.rollout.verdict`: the step verdict, the watch verdict and the rollback
  sequence, as pure functions over gate results, state, policy and a clock reading.
- :mod:`~releasegate.rollout.canary`: canary step planning and the rollout state (pure).
- :mod:`~releasegate.rollout.collect`: gate queries and the judges' input, one interval at a time.
- :mod:`~releasegate.rollout.runner`: the live loop that runs gates side by side.
- :mod:`~releasegate.rollout.routers`: what sets a canary's weight;
  :mod:`~releasegate.rollout.argo`: the Argo Rollouts router, through the plugin's own verbs.
- :mod:`~releasegate.rollout.adaptive`: how far an ``advance:`` rule moves a step (pure).
- :mod:`~releasegate.rollout.rollback`: runs the rollback sequence and records each step.
- :mod:`~releasegate.rollout.drill`: the rollback rehearsal.

The old top-level modules (``releasegate.runner``, ``releasegate.collect``,
``releasegate.canary``, ``releasegate.routers``, ``releasegate.drill``) re-export these.
"""
