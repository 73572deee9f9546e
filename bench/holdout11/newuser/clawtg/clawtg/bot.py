"""The bot: /sessions with a status keyboard, /stop, /tasks, and a watch job."""

from __future__ import annotations

import html
import logging
import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from clawtg.gateway import Gateway, GatewayTrouble
from clawtg.texts import FILTER_BUTTONS, TASK_WORDS, TROUBLE, row_line

log = logging.getLogger(__name__)

ALERT_ON = ("failed", "timeout")
CHAT_ID = int(os.environ.get("CLAWTG_CHAT_ID", "0"))


def _gateway(context: ContextTypes.DEFAULT_TYPE) -> Gateway:
    return context.application.bot_data["gateway"]


async def _reply_trouble(update: Update, exc: GatewayTrouble) -> None:
    await update.effective_message.reply_text(TROUBLE.get(exc.kind, str(exc)))


async def sessions_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    buttons = [[InlineKeyboardButton(label, callback_data=f"status:{value}")] for label, value in FILTER_BUTTONS]
    await update.effective_message.reply_text("Which sessions?", reply_markup=InlineKeyboardMarkup(buttons))


async def on_filter(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    wanted = (query.data or "").removeprefix("status:")
    try:
        rows = await _gateway(context).sessions()
    except GatewayTrouble as exc:
        await query.edit_message_text(TROUBLE.get(exc.kind, str(exc)))
        return
    context.bot_data["rows"] = {r["key"]: r for r in rows}
    picked = [r for r in rows if r.get("status") == wanted][:30]
    text = "\n".join(html.escape(row_line(r)) for r in picked) or "None."
    await query.edit_message_text(text, parse_mode=ParseMode.HTML)


async def stop_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not context.args:
        await update.effective_message.reply_text("Usage: /stop SESSION_KEY")
        return
    key = context.args[0]
    try:
        await _gateway(context).abort(key)
    except GatewayTrouble as exc:
        await _reply_trouble(update, exc)
        return
    row = context.bot_data.setdefault("rows", {}).get(key)
    if row is not None:
        # Shown at once; the next poll brings the gateway's own row.
        row["status"] = "killed"
    await update.effective_message.reply_text(f"Asked the gateway to stop {key}.")


async def tasks_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        tasks = await _gateway(context).tasks()
    except GatewayTrouble as exc:
        await _reply_trouble(update, exc)
        return
    bad = [t for t in tasks if t.get("status") in ("failed", "timed_out", "lost")]
    lines = [f"{t.get('taskId', '?')} {TASK_WORDS.get(t.get('status'), t.get('status'))}" for t in bad[:20]]
    await update.effective_message.reply_text("\n".join(lines) or "No background task went wrong.")


async def watch(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every minute: post once for each run that ended badly since the last look."""
    try:
        rows = await _gateway(context).sessions()
    except GatewayTrouble as exc:
        if exc.kind != "timeout":
            log.warning("watch: %s", exc)
        return
    before: dict[str, str | None] = context.bot_data.setdefault("last_status", {})
    for row in rows:
        key, status = row["key"], row.get("status")
        if before.get(key) == "running" and status in ALERT_ON:
            await context.bot.send_message(CHAT_ID, "Run ended badly: " + row_line(row))
        before[key] = status
    context.bot_data["rows"] = {r["key"]: r for r in rows}


async def _post_init(app: Application) -> None:
    app.bot_data["gateway"] = Gateway()


async def _post_shutdown(app: Application) -> None:
    await app.bot_data["gateway"].aclose()


def main() -> None:
    app = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.add_handler(CommandHandler("sessions", sessions_cmd))
    app.add_handler(CallbackQueryHandler(on_filter, pattern=r"^status:"))
    app.add_handler(CommandHandler("stop", stop_cmd))
    app.add_handler(CommandHandler("tasks", tasks_cmd))
    app.job_queue.run_repeating(watch, interval=60, first=10)
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
