"""`seatctl monitor`: sample a deployment through a deploy and classify every incident.

    plan = MonitorPlan(url="http://127.0.0.1:8080", duration=30)
    run = MonitorRun(plan)
    asyncio.run(run_monitor(run, on_incident=print))
    verdict = judge(run.snapshot(), plan)

Layers: `plan` (bounds, validation), `incidents` (pure classification of recorded
outcomes), `sampler` (the bounded connection pool and its schedule), `run` (the asyncio
run around an optional command), `verdict` (each incident class explained, its fix, the
exit decision). Nothing here prints.
"""
