//! AWS SNS (Publish, query API) and SQS (SendMessage, JSON API), signed with
//! Signature Version 4.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::Destination;
use crate::rules::engine::Alert;

pub struct Credentials {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// A request to sign: everything SigV4 covers.
struct Request<'a> {
    service: &'a str,
    url: &'a str,
    content_type: &'a str,
    target: Option<&'a str>,
    body: &'a str,
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `https://host[:port]/path` → (host[:port], /path).
fn split_url(url: &str) -> Result<(&str, &str)> {
    let rest = url.split_once("://").map(|(_, r)| r).with_context(|| format!("'{url}' is not a URL"))?;
    Ok(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    })
}

/// The SigV4 headers for `req` at `amz_date` (`YYYYMMDDTHHMMSSZ`).
fn sign(creds: &Credentials, req: &Request<'_>, amz_date: &str) -> Result<Vec<(String, String)>> {
    let (host, path) = split_url(req.url)?;
    let mut headers = vec![
        ("content-type".to_string(), req.content_type.to_string()),
        ("host".to_string(), host.to_string()),
        ("x-amz-date".to_string(), amz_date.to_string()),
    ];
    if let Some(target) = req.target {
        headers.push(("x-amz-target".to_string(), target.to_string()));
    }
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
    let canonical =
        format!("POST\n{path}\n\n{canonical_headers}\n{}\n{}", signed.join(";"), hex_sha256(req.body.as_bytes()));
    let date = &amz_date[..8];
    let scope = format!("{date}/{}/{}/aws4_request", creds.region, req.service);
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex_sha256(canonical.as_bytes()));
    let key = [date, creds.region.as_str(), req.service, "aws4_request"]
        .iter()
        .fold(format!("AWS4{}", creds.secret_access_key).into_bytes(), |key, part| hmac(&key, part));
    let signature = hex::encode(hmac(&key, &to_sign));
    headers.push((
        "authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            creds.access_key_id,
            signed.join(";")
        ),
    ));
    // ureq sets Host itself from the URL.
    headers.retain(|(k, _)| k != "host");
    Ok(headers)
}

fn amz_date_now() -> String {
    let ns = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    // rfc3339 gives YYYY-MM-DDTHH:MM:SS.fffffffffZ
    let t = crate::rules::time::rfc3339(ns);
    format!("{}{}{}T{}{}{}Z", &t[0..4], &t[5..7], &t[8..10], &t[11..13], &t[14..16], &t[17..19])
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn send(creds: &Credentials, agent: &ureq::Agent, req: &Request<'_>) -> Result<()> {
    let mut http = agent.post(req.url);
    for (k, v) in sign(creds, req, &amz_date_now())? {
        http = http.header(k, v);
    }
    http.send(req.body).map_err(|e| anyhow!("{} {}: {e}", req.service, req.url))?;
    Ok(())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().new_agent()
}

pub struct Sns {
    creds: Credentials,
    topic_arn: String,
    url: String,
    agent: ureq::Agent,
}

impl Sns {
    pub fn new(creds: Credentials, topic_arn: &str, endpoint: Option<&str>) -> Self {
        let url = endpoint.map_or_else(|| format!("https://sns.{}.amazonaws.com/", creds.region), str::to_string);
        Self { creds, topic_arn: topic_arn.into(), url, agent: agent() }
    }
}

impl Destination for Sns {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        for a in alerts {
            let message = serde_json::to_string(a)?;
            let subject: String = format!("{}: {}", a.priority.as_str(), a.rule).chars().take(99).collect();
            let body = form_encode(&[
                ("Action", "Publish"),
                ("Version", "2010-03-31"),
                ("TopicArn", &self.topic_arn),
                ("Subject", &subject),
                ("Message", &message),
            ]);
            let req = Request {
                service: "sns",
                url: &self.url,
                content_type: "application/x-www-form-urlencoded; charset=utf-8",
                target: None,
                body: &body,
            };
            send(&self.creds, &self.agent, &req)?;
        }
        Ok(())
    }
}

pub struct Sqs {
    creds: Credentials,
    queue_url: String,
    url: String,
    agent: ureq::Agent,
}

impl Sqs {
    pub fn new(creds: Credentials, queue_url: &str, endpoint: Option<&str>) -> Self {
        let url = endpoint.map_or_else(|| format!("https://sqs.{}.amazonaws.com/", creds.region), str::to_string);
        Self { creds, queue_url: queue_url.into(), url, agent: agent() }
    }
}

impl Destination for Sqs {
    fn deliver(&mut self, alerts: &[Alert]) -> Result<()> {
        for a in alerts {
            let body =
                serde_json::json!({"QueueUrl": self.queue_url, "MessageBody": serde_json::to_string(a)?}).to_string();
            let req = Request {
                service: "sqs",
                url: &self.url,
                content_type: "application/x-amz-json-1.0",
                target: Some("AmazonSQS.SendMessage"),
                body: &body,
            };
            send(&self.creds, &self.agent, &req)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of AWS's SigV4 documentation (IAM ListUsers GET is
    /// not a POST; this checks the key derivation chain, which is shared).
    #[test]
    fn derives_the_documented_signing_key() {
        let key = ["20150830", "us-east-1", "iam", "aws4_request"]
            .iter()
            .fold(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_vec(), |key, part| hmac(&key, part));
        assert_eq!(hex::encode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    }

    #[test]
    fn signs_with_scope_and_headers() {
        let creds =
            Credentials { region: "eu-west-1".into(), access_key_id: "AKID".into(), secret_access_key: "s".into() };
        let req = Request {
            service: "sns",
            url: "http://127.0.0.1:5000/",
            content_type: "application/x-www-form-urlencoded",
            target: None,
            body: "Action=Publish",
        };
        let headers = sign(&creds, &req, "20261128T120000Z").unwrap();
        let auth = &headers.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/20261128/eu-west-1/sns/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="), "{auth}");
        assert_eq!(form_encode(&[("a b", "x/y=z")]), "a%20b=x%2Fy%3Dz");
        assert_eq!(split_url("http://h:1/p/q").unwrap(), ("h:1", "/p/q"));
    }
}
