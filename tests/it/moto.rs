//! A moto server (the AWS emulator) for the AWS provider tests.
//!
//! `scripts/moto-env.sh` installs the pinned moto into `.venv` once per test
//! binary; each [`Moto`] is then its own server on a free 127.0.0.1 port, so
//! tests running in parallel never see each other's resources, and it is
//! killed when dropped. Nothing process-global is set: tests get the endpoint
//! through [`Moto::sdk_config`] (an `aws_config` with the endpoint, static test
//! credentials and a region) or, for child processes, [`Moto::env`].
//!
//! moto is a hard requirement: if it cannot be installed or started the test
//! panics with the reason — it never skips, so a green run means the provider
//! really talked to the emulator.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::Credentials;

/// How long a fresh server may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running moto server, killed on drop.
pub struct Moto {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
}

/// The `moto_server` executable, installed on first use by the project's script.
fn server_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/moto-env.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} to install moto: {e}", script.display()));
        if !out.status.success() {
            panic!(
                "moto could not be installed: {} exited with {}; the AWS provider tests need moto server \
                 (python3 with venv and pip, and PyPI reachable).\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        assert!(path.is_file(), "{} printed {path:?}, which is not the moto_server executable", script.display());
        path
    })
}

/// A port free on 127.0.0.1 right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding a loopback port");
    listener.local_addr().expect("a bound address").port()
}

/// One HTTP/1.1 request to the server; the status code, or `None` if it
/// does not answer (yet).
fn http(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

impl Moto {
    /// Starts a server and waits until it answers; panics with the reason
    /// (and the server's log) if it cannot.
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// Starts a server with extra environment (e.g. moto's IAM enforcement).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let server = server_path();
        let mut last_log = String::new();
        // The port is free when picked but could be taken before moto binds
        // it: a server that exits at once is retried on another port.
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("a temp file for moto's log");
            let child = Command::new(server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("moto's log"))
                .stderr(log.reopen().expect("moto's log"))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
            let mut moto = Moto { child, port, log };
            let started = Instant::now();
            loop {
                if let Some(status) = moto.child.try_wait().expect("polling moto") {
                    last_log = moto.log_text();
                    eprintln!("moto on port {port} exited with {status}; retrying on another port");
                    break;
                }
                if http(port, "GET", "/moto-api/").is_some_and(|s| s == 200) {
                    return moto;
                }
                if started.elapsed() > START_TIMEOUT {
                    panic!(
                        "moto server did not answer on 127.0.0.1:{port} within {}s; its log:\n{}",
                        START_TIMEOUT.as_secs(),
                        moto.log_text()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("moto server could not be started ({}); its last log:\n{last_log}", server.display());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An SDK config pointed at this server: its endpoint, static test
    /// credentials, and `region`.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }

    /// Environment for a child process (the `tapctl` binary) so that the
    /// standard AWS chain resolves to this server and nothing of the
    /// developer's own AWS setup leaks in.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Wipes every resource (`POST /moto-api/reset`), for tests that share a
    /// server across phases.
    pub fn reset(&self) {
        let status = http(self.port, "POST", "/moto-api/reset");
        assert_eq!(status, Some(200), "POST /moto-api/reset on {} failed", self.endpoint());
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Ours alone, by handle: the server this value started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
