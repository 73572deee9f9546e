"""What to do about a session, from how its last run ended."""
from .sessions import Session


def decide(s: Session) -> str:
    if s.acp_state == "error":
        return "leave"  # the ACP runtime reports its own trouble; not ours to retry
    match s.status:
        case None | "running" | "queued":
            return "wait"
        case "done":
            return "collect"
        case "failed" | "timeout":
            return "retry"
        case "killed":
            # someone stopped it on purpose: leave it; otherwise it died under us
            return "leave" if s.aborted else "retry"
        case _:
            return "leave"
