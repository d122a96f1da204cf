//! What one client and all its clones share: the HTTP transport, the shared
//! polls, the defaults of every wait, the hub of pushed events, and the
//! secret webhooks are verified with.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::Secret;
use crate::error::{InvalidArgumentError, Result};
use crate::events::TaskEvents;
use crate::tasks::policy::{DEFAULT_WAIT_TIMEOUT, PollPolicy};
use crate::tasks::shared::SharedPolls;
use crate::transport::Transport;

/// The state behind a [`Client`](crate::Client).
pub(crate) struct ClientInner {
    /// Sends the requests (an `Arc` of its own: a shared poll's request
    /// outlives the wait that started it, and holds only the transport).
    pub(crate) transport: Arc<Transport>,
    /// Duplicate polls of one task, joined.
    pub(crate) shared_polls: SharedPolls,
    /// Defaults of every wait (poll policy, wait timeout, attempt header).
    pub(crate) wait_defaults: WaitDefaults,
    /// The hub whose events wake this client's waits, if any.
    pub(crate) events: Option<TaskEvents>,
    /// Kept to verify webhook signatures ([`crate::Client::verify_webhook`]).
    pub(crate) webhook_secret: Secret,
}

/// A client's defaults for every wait (set on its builder).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WaitDefaults {
    pub(crate) policy: PollPolicy,
    pub(crate) timeout: Duration,
    pub(crate) poll_attempt_header: bool,
}

impl Default for WaitDefaults {
    fn default() -> Self {
        WaitDefaults {
            policy: PollPolicy::default(),
            timeout: DEFAULT_WAIT_TIMEOUT,
            poll_attempt_header: false,
        }
    }
}

impl WaitDefaults {
    pub(crate) fn validate(&self) -> Result<()> {
        self.policy.validate()?;
        if self.timeout.is_zero() {
            return Err(
                InvalidArgumentError::new("wait_timeout", "must be greater than zero").into(),
            );
        }
        Ok(())
    }
}
