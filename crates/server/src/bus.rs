//! Delivery between server nodes. Handlers publish a [`Delivery`] after a
//! message is durable; every node hands it to its local [`Sessions`].
//! [`LocalBus`] is the single-node implementation; a NATS bus can follow
//! behind the same trait.

use std::sync::Arc;

use crate::sessions::{ConnId, Outbound, Sessions};

/// One frame for the sessions of some users.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub users: Arc<[String]>,
    /// A connection that must not get it (the sender's own socket).
    pub except: Option<ConnId>,
    pub out: Outbound,
}

pub trait Bus: Send + Sync + 'static {
    /// Delivers to every node's sessions. Must not block.
    fn publish(&self, delivery: Delivery);
}

/// In-process bus: this node is the only node.
pub struct LocalBus {
    sessions: Arc<Sessions>,
}

impl LocalBus {
    pub fn new(sessions: Arc<Sessions>) -> Self {
        LocalBus { sessions }
    }
}

impl Bus for LocalBus {
    fn publish(&self, d: Delivery) {
        self.sessions.deliver(&d.users, d.except, &d.out);
    }
}
