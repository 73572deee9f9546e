"""Subagent state machine — complete lifecycle management.

Implements a five-state lifecycle with:
- Valid state transitions
- Timeout handling
- Error recovery
- Steering protocol
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

logger = logging.getLogger(__name__)


class SubagentLifecycleState(str, Enum):
    """Complete lifecycle states for subagents."""

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


# Valid state transitions
VALID_TRANSITIONS: dict[SubagentLifecycleState, set[SubagentLifecycleState]] = {
    SubagentLifecycleState.PENDING: {
        SubagentLifecycleState.RUNNING,
        SubagentLifecycleState.CANCELLED,
    },
    SubagentLifecycleState.RUNNING: {
        SubagentLifecycleState.PAUSED,
        SubagentLifecycleState.COMPLETED,
        SubagentLifecycleState.FAILED,
        SubagentLifecycleState.CANCELLED,
        SubagentLifecycleState.TIMED_OUT,
    },
    SubagentLifecycleState.PAUSED: {
        SubagentLifecycleState.RUNNING,
        SubagentLifecycleState.CANCELLED,
    },
    SubagentLifecycleState.COMPLETED: set(),  # Terminal
    SubagentLifecycleState.FAILED: set(),  # Terminal
    SubagentLifecycleState.CANCELLED: set(),  # Terminal
    SubagentLifecycleState.TIMED_OUT: set(),  # Terminal
}


@dataclass
class StateTransition:
    """Record of a state transition."""

    from_state: SubagentLifecycleState
    to_state: SubagentLifecycleState
    timestamp: str
    reason: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class StateMachineConfig:
    """Configuration for state machine."""

    max_retries: int = 2
    retry_delay_seconds: float = 1.0
    timeout_seconds: int = 300
    stuck_turns_threshold: int = 5  # Turns without progress before stuck


class SubagentStateMachine:
    """State machine for subagent lifecycle.

    Usage:
        sm = SubagentStateMachine("session-123")
        sm.transition(SubagentLifecycleState.RUNNING)
        sm.transition(SubagentLifecycleState.COMPLETED)
    """

    def __init__(
        self,
        session_id: str,
        config: StateMachineConfig | None = None,
    ) -> None:
        self._session_id = session_id
        self._config = config or StateMachineConfig()
        self._state = SubagentLifecycleState.PENDING
        self._history: list[StateTransition] = []
        self._turns_without_progress = 0
        self._callbacks: dict[SubagentLifecycleState, list[Callable[[], None]]] = {}

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def state(self) -> SubagentLifecycleState:
        return self._state

    @property
    def is_terminal(self) -> bool:
        """Check if in terminal state."""
        return len(VALID_TRANSITIONS.get(self._state, set())) == 0

    @property
    def history(self) -> list[StateTransition]:
        return list(self._history)

    def can_transition_to(self, target: SubagentLifecycleState) -> bool:
        """Check if transition is valid.

        Args:
            target: Target state.

        Returns:
            True if transition is valid.
        """
        return target in VALID_TRANSITIONS.get(self._state, set())

    def transition(
        self,
        target: SubagentLifecycleState,
        reason: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> bool:
        """Transition to a new state.

        Args:
            target: Target state.
            reason: Reason for transition.
            metadata: Additional metadata.

        Returns:
            True if transition succeeded.
        """
        if not self.can_transition_to(target):
            logger.warning(
                "Invalid transition: %s -> %s for session %s",
                self._state,
                target,
                self._session_id,
            )
            return False

        # Record transition
        transition = StateTransition(
            from_state=self._state,
            to_state=target,
            timestamp=datetime.now().isoformat(),
            reason=reason,
            metadata=metadata or {},
        )
        self._history.append(transition)

        old_state = self._state
        self._state = target

        logger.info(
            "State transition: %s -> %s for session %s (%s)",
            old_state,
            target,
            self._session_id,
            reason,
        )

        # Execute callbacks
        for callback in self._callbacks.get(target, []):
            try:
                callback()
            except Exception as e:
                logger.error("Callback error: %s", e)

        return True

    def on_state(self, state: SubagentLifecycleState, callback: Callable[[], None]) -> None:
        """Register callback for state entry.

        Args:
            state: State to watch.
            callback: Callback to execute.
        """
        if state not in self._callbacks:
            self._callbacks[state] = []
        self._callbacks[state].append(callback)

    def increment_turn(self, has_progress: bool = True) -> bool:
        """Increment turn counter and check for stuck state.

        Args:
            has_progress: Whether progress was made this turn.

        Returns:
            True if agent appears stuck.
        """
        if has_progress:
            self._turns_without_progress = 0
        else:
            self._turns_without_progress += 1

        return self._turns_without_progress >= self._config.stuck_turns_threshold

    def reset_progress_counter(self) -> None:
        """Reset the progress counter."""
        self._turns_without_progress = 0

    def to_dict(self) -> dict[str, Any]:
        """Serialize state machine."""
        return {
            "session_id": self._session_id,
            "state": self._state.value,
            "history": [
                {
                    "from": t.from_state.value,
                    "to": t.to_state.value,
                    "timestamp": t.timestamp,
                    "reason": t.reason,
                }
                for t in self._history
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubagentStateMachine:
        """Deserialize state machine."""
        sm = cls(session_id=data.get("session_id", ""))
        sm._state = SubagentLifecycleState(data.get("state", "pending"))

        for t in data.get("history", []):
            sm._history.append(
                StateTransition(
                    from_state=SubagentLifecycleState(t.get("from", "pending")),
                    to_state=SubagentLifecycleState(t.get("to", "pending")),
                    timestamp=t.get("timestamp", ""),
                    reason=t.get("reason", ""),
                )
            )

        return sm


@dataclass
class TimeoutConfig:
    """Configuration for timeout handling."""

    default_timeout: int = 300
    agent_type_timeouts: dict[str, int] = field(default_factory=dict)

    def get_timeout(self, agent_type: str) -> int:
        """Get timeout for an agent type."""
        return self.agent_type_timeouts.get(agent_type, self.default_timeout)


@dataclass
class TimeoutResult:
    """Result of timeout check."""

    is_timed_out: bool
    elapsed_seconds: float
    timeout_limit: int


class TimeoutHandler:
    """Handles timeout detection and notification."""

    def __init__(
        self,
        config: TimeoutConfig | None = None,
    ) -> None:
        self._config = config or TimeoutConfig()
        self._start_times: dict[str, datetime] = {}

    def start(self, session_id: str) -> None:
        """Start tracking a session.

        Args:
            session_id: Session to track.
        """
        self._start_times[session_id] = datetime.now()

    def stop(self, session_id: str) -> None:
        """Stop tracking a session.

        Args:
            session_id: Session to stop.
        """
        self._start_times.pop(session_id, None)

    def check_timeout(
        self,
        session_id: str,
        agent_type: str = "general_purpose",
    ) -> TimeoutResult:
        """Check if a session has timed out.

        Args:
            session_id: Session to check.
            agent_type: Agent type for timeout lookup.

        Returns:
            TimeoutResult with details.
        """
        start = self._start_times.get(session_id)
        if not start:
            return TimeoutResult(
                is_timed_out=False,
                elapsed_seconds=0,
                timeout_limit=0,
            )

        elapsed = (datetime.now() - start).total_seconds()
        limit = self._config.get_timeout(agent_type)

        return TimeoutResult(
            is_timed_out=elapsed >= limit,
            elapsed_seconds=elapsed,
            timeout_limit=limit,
        )


@dataclass
class SteeringMessage:
    """A steering message for a running agent."""

    content: str
    timestamp: str = field(default_factory=lambda: datetime.now().isoformat())
    source: str = "parent"


class SteeringProtocol:
    """Protocol for steering running agents."""

    def __init__(self) -> None:
        self._pending_steering: dict[str, list[SteeringMessage]] = {}

    def queue_steering(
        self,
        session_id: str,
        content: str,
    ) -> None:
        """Queue a steering message for a session.

        Args:
            session_id: Target session.
            content: Steering message content.
        """
        if session_id not in self._pending_steering:
            self._pending_steering[session_id] = []

        self._pending_steering[session_id].append(SteeringMessage(content=content))
        logger.info("Queued steering for session %s", session_id)

    def get_pending_steering(
        self,
        session_id: str,
    ) -> list[SteeringMessage]:
        """Get and clear pending steering messages.

        Args:
            session_id: Session to get messages for.

        Returns:
            List of pending steering messages.
        """
        messages = self._pending_steering.pop(session_id, [])
        return messages

    def has_pending(self, session_id: str) -> bool:
        """Check if there are pending steering messages.

        Args:
            session_id: Session to check.

        Returns:
            True if pending messages exist.
        """
        return session_id in self._pending_steering and len(self._pending_steering[session_id]) > 0


@dataclass
class ErrorContext:
    """Context for error recovery."""

    error_type: str
    error_message: str
    retry_count: int = 0
    max_retries: int = 2
    recovery_strategy: str = "retry"  # retry, skip, abort
    last_successful_state: dict[str, Any] = field(default_factory=dict)


class ErrorRecovery:
    """Handles error recovery for failed subagents."""

    def __init__(
        self,
        max_retries: int = 2,
        default_strategy: str = "retry",
    ) -> None:
        self._max_retries = max_retries
        self._default_strategy = default_strategy
        self._error_contexts: dict[str, ErrorContext] = {}

    def record_error(
        self,
        session_id: str,
        error: Exception,
    ) -> ErrorContext:
        """Record an error and get recovery context.

        Args:
            session_id: Session that failed.
            error: The error that occurred.

        Returns:
            ErrorContext for recovery decisions.
        """
        existing = self._error_contexts.get(session_id)

        context = ErrorContext(
            error_type=type(error).__name__,
            error_message=str(error),
            retry_count=(existing.retry_count + 1) if existing else 0,
            max_retries=self._max_retries,
            recovery_strategy=self._default_strategy,
        )

        self._error_contexts[session_id] = context
        return context

    def should_retry(self, session_id: str) -> bool:
        """Check if should retry.

        Args:
            session_id: Session to check.

        Returns:
            True if should retry.
        """
        context = self._error_contexts.get(session_id)
        if not context:
            return False

        return context.retry_count < context.max_retries

    def get_recovery_strategy(self, session_id: str) -> str:
        """Get recovery strategy for a session.

        Args:
            session_id: Session to get strategy for.

        Returns:
            Recovery strategy name.
        """
        context = self._error_contexts.get(session_id)
        return context.recovery_strategy if context else self._default_strategy

    def clear(self, session_id: str) -> None:
        """Clear error context for a session.

        Args:
            session_id: Session to clear.
        """
        self._error_contexts.pop(session_id, None)
