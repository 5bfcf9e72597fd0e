"""The questionnaire as a state machine over stored rows: what a button press means.

Telegram-free: handlers pass in the parsed press and get back what to answer and show. Every
press is checked against the stored state, so stale, repeated and forged buttons are harmless
and a press delivered twice never counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.account.callbacks import RESTART
from bot.clock import Clock
from bot.content.model import Content
from bot.questionnaire import logic
from bot.questionnaire.callbacks import (
    BACK,
    DONE,
    KEEP,
    NOTES,
    SUMMARY,
    UNDO,
    QuestionPress,
    ResultPress,
)
from bot.questionnaire.render import render_question
from bot.questionnaire.result import (
    full_text,
    render_cause,
    render_notes,
    render_stopped,
    render_summary,
)
from bot.storage import Assessment, Storage
from bot.ui import Button, Screen


@dataclass(frozen=True)
class Outcome:
    """What the handler does: answer the callback (maybe with a notice), then show `screen`."""

    notice: str | None = None
    alert: bool = False
    screen: Screen | None = None
    finished: bool = False
    # Where the screen goes: the pressed message, or (None) the open questionnaire's own
    # message, which the handler edits or re-sends.
    edit_pressed: bool = True
    assessment_id: int | None = None
    # Shown in the pressed message when `screen` goes elsewhere (a stop that was taken back
    # keeps its advice, without its button).
    pressed_screen: Screen | None = None


def stop_question(content: Content, answers: dict[str, tuple[str, ...]]) -> str | None:
    """The safety question whose answer ended the questionnaire, if one did."""
    if not logic.is_stopped(content, answers):
        return None
    asked = logic.path(content, answers)
    return asked[-1].id if asked else None


def result_screen(
    content: Content, assessment_id: int, result: logic.Result, answers: dict[str, tuple[str, ...]]
) -> Screen:
    if result.stopped:
        return render_stopped(content, result, assessment_id, stop_question(content, answers))
    return render_summary(content, result, assessment_id)


class Questionnaire:
    def __init__(self, content: Content, storage: Storage, clock: Clock) -> None:
        self.content = content
        self.storage = storage
        self.clock = clock

    def _now(self) -> datetime:
        return self.clock.now()

    async def start(self, user_id: int) -> tuple[Assessment, Screen]:
        first = logic.first_question(self.content)
        started = await self.storage.start_assessment(
            user_id, self.content.version, first.id, self._now()
        )
        return started, render_question(self.content, started.id, first, {})

    async def open(self, user_id: int) -> Assessment | None:
        """The person's unfinished questionnaire, if any."""
        return await self.storage.get_open_assessment(user_id)

    async def get(self, assessment_id: int) -> Assessment | None:
        return await self.storage.get_assessment(assessment_id)

    async def shown_in(self, assessment_id: int, message_id: int) -> None:
        """Remember the message that now carries the questionnaire: only its buttons count."""
        await self.storage.set_message_id(assessment_id, message_id)

    async def screen_for(self, started: Assessment) -> Screen:
        """The screen an open assessment is on now (after a restart, a stale press, /start)."""
        finished = await self._finish_stored(started)
        if finished is not None and finished.screen is not None:
            return finished.screen
        answers = await self.storage.get_answers(started.id)
        question = self.content.question(started.current_question or "")
        if question is None or not self._still_valid(answers):
            return self.updated_screen()
        return render_question(self.content, started.id, question, answers)

    def _still_valid(self, answers: dict[str, tuple[str, ...]]) -> bool:
        for qid, options in answers.items():
            question = self.content.question(qid)
            if question is None or any(question.option(o) is None for o in options):
                return False
        return True

    def updated_screen(self) -> Screen:
        return Screen(
            self.content.text("stale.updated"),
            ((Button(self.content.raw_text("stale.updated_button"), RESTART),),),
        )

    async def press(self, user_id: int, data: str, message_id: int | None) -> Outcome:
        stale = self.content.raw_text("stale.button")
        press = QuestionPress.parse(data)
        if press is None:
            return await self._stale(user_id, stale)
        # The assessment and its answers in one read: a press needs both, and every trip to
        # the database costs a hand-off to its thread.
        state = await self.storage.get_press_state(press.assessment_id)
        if state is None:
            return await self._stale(user_id, stale)
        started, answers = state
        if started.user_id != user_id:
            return Outcome(notice=self.content.raw_text("stale.not_yours"), alert=True)
        if (
            started.status == "finished"
            and started.result is not None
            and message_id is not None
            and message_id == started.message_id
        ):
            if press.option == UNDO:
                return await self._undo(user_id, started, press.question_id)
            # The last answer was stored but the result never reached the screen (a failed
            # edit, a crash): a press on the question still showing there brings it back.
            result = logic.Result.from_json(self.content, started.result)
            answers = await self.storage.get_answers(started.id)
            return Outcome(
                screen=result_screen(self.content, started.id, result, answers), finished=True
            )
        if press.option == UNDO:
            return await self._undo_refused(user_id)
        if started.status != "open" or (
            message_id is not None
            and started.message_id is not None
            and message_id != started.message_id
        ):
            return await self._stale(user_id, stale)

        finished = await self._finish_stored(started, answers)
        if finished is not None:
            return finished
        question = self.content.question(press.question_id)
        if question is None or not self._still_valid(answers):
            # A deploy renamed or removed something this person already answered or sees.
            return Outcome(notice=stale, screen=self.updated_screen())
        if press.question_id != started.current_question:
            return Outcome(notice=stale, screen=await self.screen_for(started))

        if press.option == BACK:
            walked = logic.walk(self.content, answers)
            previous = logic.previous_question(self.content, answers, question.id, walked=walked)
            shown = question if previous is None else previous
            if previous is not None:
                await self.storage.set_current_question(started.id, previous.id)
            return Outcome(
                screen=render_question(self.content, started.id, shown, answers, walked=walked)
            )

        if press.option == KEEP:
            # "No, keep my ticks": the question as it was.
            return Outcome(screen=render_question(self.content, started.id, question, answers))

        if press.option == DONE:
            if question.kind != "multi":
                return Outcome(notice=stale, screen=await self.screen_for(started))
            chosen = answers.get(question.id, ())
            if not chosen:
                has_none = any(option.exclusive for option in question.options)
                key = "q.pick_one" if has_none else "q.pick_some"
                return Outcome(notice=self.content.raw_text(key))
            return await self._advance(started, question.id, chosen, answers)

        option = question.option(press.option)
        if option is None:
            return Outcome(notice=stale, screen=await self.screen_for(started))

        if question.kind == "multi" and not option.exclusive:
            if press.state is None:
                return Outcome(notice=stale, screen=await self.screen_for(started))
            current = [
                o for o in answers.get(question.id, ()) if not self._exclusive(question.id, o)
            ]
            if press.state and option.id not in current:
                current.append(option.id)
            elif not press.state and option.id in current:
                current.remove(option.id)
            # Keep the content's option order, so the stored value does not depend on tap order.
            ordered = tuple(o.id for o in question.options if o.id in current)
            await self.storage.save_answer(
                started.id, question.id, ordered, self._now(), current_question=question.id
            )
            answers = {**answers, question.id: ordered}
            return Outcome(screen=render_question(self.content, started.id, question, answers))

        ticks = [o for o in answers.get(question.id, ()) if not self._exclusive(question.id, o)]
        if question.kind == "multi" and option.exclusive and press.state:
            # "Yes, clear my ticks": this answer alone, and on.
            return await self._advance(started, question.id, (option.id,), answers)
        if press.state is not None:
            return Outcome(notice=stale, screen=await self.screen_for(started))
        if question.kind == "multi" and ticks:
            # "None of these" after ticking boxes: clearing them silently could drop
            # "Pregnant", so ask, with two buttons; nothing changes until one is pressed.
            return Outcome(
                screen=render_question(
                    self.content, started.id, question, answers, clear_for=option
                )
            )
        return await self._advance(started, question.id, (option.id,), answers)

    async def result_press(self, user_id: int, data: str, message_id: int | None) -> Outcome:
        """A cause button under a result, or the way back to the summary: shown in the same
        message. Only the person's own finished result, in its own message, answers."""
        stale = self.content.raw_text("stale.button_only")
        press = ResultPress.parse(data)
        if press is None:
            return Outcome(notice=stale)
        shown = await self.storage.get_assessment(press.assessment_id)
        if shown is None:
            return Outcome(notice=stale)
        if shown.user_id != user_id:
            return Outcome(notice=self.content.raw_text("stale.not_yours"), alert=True)
        if (
            shown.status != "finished"
            or shown.result is None
            or shown.result.get("stopped")
            or (message_id is not None and message_id != shown.message_id)
        ):
            return Outcome(notice=stale)
        result = logic.Result.from_json(self.content, shown.result)
        if press.what == SUMMARY:
            return Outcome(screen=render_summary(self.content, result, shown.id))
        if press.what == NOTES:
            return Outcome(screen=render_notes(self.content, result, shown.id))
        screen = render_cause(self.content, result, shown.id, press.what)
        if screen is None:
            # Not a cause of this result (forged, or gone from the content since): the
            # summary, which lists the ones there are.
            return Outcome(
                notice=self.content.raw_text("stale.button"),
                screen=render_summary(self.content, result, shown.id),
            )
        return Outcome(screen=screen)

    def _exclusive(self, qid: str, oid: str) -> bool:
        question = self.content.question(qid)
        option = question.option(oid) if question else None
        return bool(option and option.exclusive)

    async def _advance(
        self,
        started: Assessment,
        qid: str,
        value: tuple[str, ...],
        answers: dict[str, tuple[str, ...]],
    ) -> Outcome:
        answers = {**answers, qid: value}
        # One walk of the skip rules serves the whole press: whether a stop answer ended the
        # questionnaire, the next question, its progress line and its Back button. The full
        # assessment is made once, at the end.
        walked = logic.walk(self.content, answers)
        following = None
        if not walked.stopped:
            following = logic.next_question(self.content, answers, qid, walked=walked)
        if following is not None:
            await self.storage.save_answer(
                started.id, qid, value, self._now(), current_question=following.id
            )
            return Outcome(
                screen=render_question(self.content, started.id, following, answers, walked=walked)
            )
        # The last answer and the result are one commit: a kill between two commits used to
        # leave 14 answers in a questionnaire that could neither go on nor finish.
        result = logic.evaluate(self.content, answers)
        await self.storage.answer_and_finish(
            started.id,
            qid,
            value,
            self._now(),
            level=result.level.id,
            # The full text, every explanation and tip, is kept: the screen folds them away.
            result={**result.to_json(), "text": full_text(self.content, result)},
            keep=tuple(logic.effective_answers(self.content, answers)),
        )
        return Outcome(
            screen=result_screen(self.content, started.id, result, answers), finished=True
        )

    async def _finish_stored(
        self, started: Assessment, answers: dict[str, tuple[str, ...]] | None = None
    ) -> Outcome | None:
        """An open questionnaire whose last answer is stored without its result (written by
        an older version that finished in a second commit, killed in between): finish it
        from the stored answers. None when the stored answers do not complete the path."""
        if started.status != "open" or started.current_question is not None:
            return None
        if answers is None:
            answers = await self.storage.get_answers(started.id)
        if not answers or not self._still_valid(answers):
            return None
        walked = logic.walk(self.content, answers)
        if not walked.stopped and any(not answers.get(q.id) for q in walked.path):
            return None
        result = logic.evaluate(self.content, answers)
        await self.storage.finish_assessment(
            started.id,
            level=result.level.id,
            # The full text, every explanation and tip, is kept: the screen folds them away.
            result={**result.to_json(), "text": full_text(self.content, result)},
            now=self._now(),
            keep=tuple(logic.effective_answers(self.content, answers)),
        )
        return Outcome(
            screen=result_screen(self.content, started.id, result, answers), finished=True
        )

    async def _undo(self, user_id: int, stopped: Assessment, question_id: str) -> Outcome:
        """ "I pressed this by mistake" under a stop: back to that safety question, in a new
        message below the advice, which stays readable (and stored, marked withdrawn)."""
        answers = await self.storage.get_answers(stopped.id)
        result = stopped.result or {}
        question = self.content.question(question_id)
        if (
            not result.get("stopped")
            or question is None
            or not self._still_valid(answers)
            or stop_question(self.content, answers) != question_id
        ):
            return await self._undo_refused(user_id)
        at = self.content.question_index(question_id)
        keep = [qid for qid in answers if 0 <= self.content.question_index(qid) < at]
        reopened = await self.storage.withdraw_stop(
            stopped.id,
            content_version=self.content.version,
            question_id=question_id,
            keep=keep,
            now=self._now(),
        )
        if reopened is None:
            return await self._undo_refused(user_id)
        kept = {qid: answers[qid] for qid in keep}
        shown = logic.Result.from_json(self.content, result)
        return Outcome(
            notice=self.content.raw_text("result.undone"),
            screen=render_question(self.content, reopened.id, question, kept),
            edit_pressed=False,
            assessment_id=reopened.id,
            pressed_screen=render_stopped(self.content, shown, stopped.id, None),
        )

    async def _undo_refused(self, user_id: int) -> Outcome:
        """Taken back already (a double tap), or not a stop: say so; an open questionnaire
        comes down to where the person is."""
        notice = self.content.raw_text("result.undo_stale")
        if await self.storage.get_open_assessment(user_id) is None:
            return Outcome(notice=notice)
        return await self._stale(user_id, notice)

    async def _stale(self, user_id: int, notice: str) -> Outcome:
        """Answer an out-of-date button and bring the person back to where they really are."""
        current = await self.storage.get_open_assessment(user_id)
        if current is None:
            return Outcome(notice=self.content.raw_text("stale.nothing_open"))
        return Outcome(
            notice=notice,
            screen=await self.screen_for(current),
            edit_pressed=False,
            assessment_id=current.id,
        )
