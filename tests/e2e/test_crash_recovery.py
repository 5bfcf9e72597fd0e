"""What a kill between two writes used to leave behind, and how the bot gets out of it."""

from __future__ import annotations

from tests.e2e.test_questionnaire import CALM, answer, begin
from tests.harness import World


async def test_last_answer_stored_without_result_finishes_on_the_next_press(
    world: World,
) -> None:
    """An older version committed the last answer (current_question NULL) and the result in
    two commits. Killed between them, the next press must show the result, not 'updated'."""
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:-1])
    assert "Question" in alex.last_text()
    (started,) = await world.storage.list_assessments(1001)
    # The state the kill left: every answer stored, no current question, still open.
    await world.storage.save_answer(
        started.id, "lately", ("none",), world.clock.now(), current_question=None
    )

    await alex.press("None of these")

    assert "Your result" in alex.last_text()
    assert "updated" not in alex.last_text()
    (finished,) = await world.storage.list_assessments(1001)
    assert (finished.status, finished.level) == ("finished", "self_care")
    assert len(await world.storage.get_answers(finished.id)) == len(CALM)
    assert world.errors == []


async def test_continue_after_such_a_kill_shows_the_result(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:-1])
    (started,) = await world.storage.list_assessments(1001)
    await world.storage.save_answer(
        started.id, "lately", ("none",), world.clock.now(), current_question=None
    )

    await alex.send("/start")
    await alex.press("Continue")

    assert "Your result" in alex.last_text()
    (finished,) = await world.storage.list_assessments(1001)
    assert finished.status == "finished"


async def test_last_press_commits_answer_and_result_together(world: World) -> None:
    alex = world.person()
    await begin(alex)
    await answer(alex, CALM[:-1])
    (started,) = await world.storage.list_assessments(1001)
    calls: list[str] = []
    real_save = world.storage.save_answer

    async def spy(*args: object, **kwargs: object) -> bool:
        calls.append(str(kwargs.get("current_question")))
        return await real_save(*args, **kwargs)  # type: ignore[arg-type]

    world.storage.save_answer = spy  # type: ignore[method-assign]
    await alex.press("None of these")
    # No commit in which the last answer is stored while the result is not.
    assert calls == []
    assert (await world.storage.get_assessment(started.id)).status == "finished"  # type: ignore[union-attr]
