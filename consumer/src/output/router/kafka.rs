//! Kafka: alerts produced to partition 0 of a topic (batched), through the
//! Kafka protocol (rskafka), with the JSON alert as the record value and the
//! rule name as its key.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::ClientBuilder;
use rskafka::record::Record;

use super::{expand_target, Destination};
use crate::rules::engine::Alert;

pub struct Kafka {
    brokers: Vec<String>,
    topic: String,
    batch: usize,
    rt: tokio::runtime::Runtime,
    /// Producers by topic, made on first use and dropped after an error.
    partitions: BTreeMap<String, PartitionClient>,
}

impl Kafka {
    pub fn new(brokers: &str, topic: &str, batch: usize) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let brokers = brokers.split(',').map(|b| b.trim().to_string()).collect();
        Ok(Self { brokers, topic: topic.to_string(), batch, rt, partitions: BTreeMap::new() })
    }
}

impl Destination for Kafka {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        let mut by_topic: BTreeMap<String, Vec<Record>> = BTreeMap::new();
        for a in alerts {
            let timestamp = chrono::DateTime::from_timestamp_nanos(super::alert_ns(a) as i64);
            by_topic.entry(expand_target(&self.topic, a)).or_default().push(Record {
                key: Some(a.rule.clone().into_bytes()),
                value: Some(serde_json::to_vec(a)?),
                headers: BTreeMap::new(),
                timestamp,
            });
        }
        for (topic, records) in by_topic {
            let result = self.rt.block_on(async {
                if !self.partitions.contains_key(&topic) {
                    let client = ClientBuilder::new(self.brokers.clone()).build().await?;
                    // Error, not Retry: a missing topic is reported, and retried by the router.
                    let partition = client.partition_client(topic.clone(), 0, UnknownTopicHandling::Error).await?;
                    self.partitions.insert(topic.clone(), partition);
                }
                self.partitions[&topic].produce(records, Compression::NoCompression).await
            });
            if let Err(e) = result {
                self.partitions.remove(&topic);
                return Err(anyhow!("Kafka topic {topic}: {e}"));
            }
        }
        Ok(())
    }

    fn max_batch(&self) -> usize {
        self.batch
    }
}
