"""The command line's own documentation: ``--version``, and every subcommand's ``--help``
with a description and examples; the end-of-run tally of claims."""

from __future__ import annotations

import pytest

import neuronlab
from neuronlab import report
from neuronlab.cli import COMMANDS, main
from neuronlab.studies import Claim, StudyResult


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"neuronlab {neuronlab.__version__}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_a_description_and_examples(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    summary, description, examples = COMMANDS[command]
    assert description.split()[0] in text and "examples:" in text
    assert examples and all(f"  {e}" in text for e in examples)
    assert all(e.startswith(f"neuronlab {command}") for e in examples)


def test_the_tally_names_every_claim_that_did_not_hold():
    claims = [Claim.exact("holds", "x", 1.0, direction=+1, margin=0.5),
              Claim.exact("fails", "x", 0.0, direction=+1, margin=0.5),
              Claim.from_samples("undecided", "x", [0.0, 1.0], direction=+1, margin=0.5)]
    lines = report.tally([StudyResult("s", "S", {}, [], claims=claims)])
    assert lines[0] == "claims: 3 — 1 reproduced, 1 not reproduced, 1 inconclusive"
    assert any("not reproduced" in line and "s: fails" in line for line in lines[1:])
    assert any("inconclusive" in line and "s: undecided" in line for line in lines[1:])
    assert not any("holds" in line for line in lines[1:])
