"""Block and unblock: a person who blocked the bot gets no reminders until they come back."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import ChatMemberHandler

from handlers.common import AnyApp, Context, deps, reply_text

_GONE = {ChatMember.BANNED, ChatMember.LEFT}


async def my_chat_member(update: Update, context: Context) -> None:
    """Tracks the bot's own membership in private chats (block = kicked); added to a group,
    it says once that it works in private chats only."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        joined = change.new_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
        if joined and change.old_chat_member.status in _GONE:
            await reply_text(update, context, deps(context).content.text("group.private_only"))
        return
    if change.chat.type != ChatType.PRIVATE:
        return
    d = deps(context)
    user_id = change.chat.id
    if await d.storage.get_user(user_id) is None:
        return
    now = d.clock.now()
    if change.new_chat_member.status in _GONE:
        await d.storage.mark_blocked(user_id, now)
    else:
        await d.storage.mark_unblocked(user_id, now)
        if d.on_unblocked is not None:
            await d.on_unblocked(user_id)


def register(application: AnyApp) -> None:
    application.add_handler(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
