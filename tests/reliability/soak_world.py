"""The soak's random project: a few datasets, jobs and model names that random edits add,
remove and change, rendered as a manifest the loader reads. Always a valid project: a job's
datasets exist, a model's job exists (removing one removes or repoints what uses it)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from e2e.support import Project, chat_examples

BASES = ("gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14")


@dataclass
class Job:
    training: str
    validation: str | None
    epochs: int
    base: str
    suffix: str


@dataclass
class Model:
    job: str
    keep_previous: int
    checked: bool


@dataclass
class World:
    rng: random.Random
    datasets: dict[str, int] = field(default_factory=dict)  # name -> content version
    jobs: dict[str, Job] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    counter: int = 0
    log: list[str] = field(default_factory=list)

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ---- edits ------------------------------------------------------------------------------
    def add_dataset(self) -> None:
        name = self.fresh("d")
        self.datasets[name] = 0
        self.log.append(f"add datasets.{name}")

    def change_dataset(self) -> None:
        name = self.rng.choice(sorted(self.datasets))
        self.datasets[name] += 1
        self.log.append(f"change datasets.{name}")

    def remove_dataset(self) -> None:
        name = self.rng.choice(sorted(self.datasets))
        del self.datasets[name]
        for job_name, job in sorted(self.jobs.items()):
            if job.validation == name:
                job.validation = None
            if job.training == name:
                self._drop_job(job_name)
        self.log.append(f"remove datasets.{name}")

    def add_job(self) -> None:
        name = self.fresh("j")
        names = sorted(self.datasets)
        validation = self.rng.choice([None, *names])
        training = self.rng.choice([n for n in names if n != validation] or names)
        if validation == training:
            validation = None
        self.jobs[name] = Job(training, validation, self.rng.randint(1, 3), self.rng.choice(BASES), name)
        self.log.append(f"add jobs.{name}")

    def change_job(self) -> None:
        name = self.rng.choice(sorted(self.jobs))
        job = self.jobs[name]
        what = self.rng.choice(["epochs", "base", "suffix", "training"])
        if what == "epochs":
            job.epochs = job.epochs % 3 + 1
        elif what == "base":
            job.base = BASES[(BASES.index(job.base) + 1) % len(BASES)]
        elif what == "suffix":
            job.suffix = self.fresh("s")
        else:
            job.training = self.rng.choice(sorted(self.datasets))
            if job.validation == job.training:
                job.validation = None
        self.log.append(f"change jobs.{name} ({what})")

    def remove_job(self) -> None:
        name = self.rng.choice(sorted(self.jobs))
        self._drop_job(name)
        self.log.append(f"remove jobs.{name}")

    def _drop_job(self, name: str) -> None:
        del self.jobs[name]
        for model_name, model in sorted(self.models.items()):
            if model.job == name:
                if self.jobs and self.rng.random() < 0.5:
                    model.job = self.rng.choice(sorted(self.jobs))
                else:
                    del self.models[model_name]

    def add_model(self) -> None:
        name = self.fresh("m")
        self.models[name] = Model(self.rng.choice(sorted(self.jobs)), self.rng.randint(0, 1),
                                  self.rng.random() < 0.5)
        self.log.append(f"add models.{name}")

    def change_model(self) -> None:
        name = self.rng.choice(sorted(self.models))
        model = self.models[name]
        if self.rng.random() < 0.5:
            model.job = self.rng.choice(sorted(self.jobs))
        else:
            model.keep_previous = 1 - model.keep_previous
        self.log.append(f"change models.{name}")

    def remove_model(self) -> None:
        name = self.rng.choice(sorted(self.models))
        del self.models[name]
        self.log.append(f"remove models.{name}")

    def edit(self) -> None:
        """One random edit that keeps the project valid and non-empty."""
        choices = [self.add_dataset]
        if self.datasets:
            choices += [self.change_dataset, self.change_dataset, self.add_job]
        if len(self.datasets) > 1:
            choices.append(self.remove_dataset)
        if self.jobs:
            choices += [self.change_job, self.change_job, self.remove_job, self.add_model]
        if self.models:
            choices += [self.change_model, self.remove_model]
        if len(self.datasets) > 4:
            choices.remove(self.add_dataset)
        if len(self.jobs) > 4 and self.add_job in choices:
            choices.remove(self.add_job)
        self.rng.choice(choices)()

    # ---- rendering --------------------------------------------------------------------------
    def write(self, project: Project) -> None:
        for name, version in self.datasets.items():
            project.write_dataset(name, chat_examples(f"{name} v{version}"))
        lines = ["project: e2e", "provider:", "  type: openai", "  base_url: {base_url}",
                 "backend:", "  type: local", "  path: state/ftops.state.json", "datasets:"]
        lines += [f"  {name}:\n    file: ../datasets/{name}.jsonl" for name in sorted(self.datasets)]
        lines.append("jobs:" if self.jobs else "jobs: {}")
        for name, job in sorted(self.jobs.items()):
            lines += [f"  {name}:", f"    model: {job.base}", f"    training_file: {job.training}"]
            if job.validation:
                lines.append(f"    validation_file: {job.validation}")
            lines += [f"    suffix: {job.suffix}", "    method:", "      type: supervised",
                      "      hyperparameters:", f"        n_epochs: {job.epochs}"]
        lines.append("models:" if self.models else "models: {}")
        for name, model in sorted(self.models.items()):
            lines += [f"  {name}:", f"    job: {model.job}", f"    keep_previous: {model.keep_previous}"]
            if model.checked:
                lines += ["    checks:", "      - messages:", "          - role: user",
                          "            content: Who is Chunsik?", "        contains: Ryan"]
        project.write_manifest("\n".join(lines) + "\n")
