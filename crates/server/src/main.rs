//! `natter-server`: run a Natter server, or print a UserSig for it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use natter_server::{start, Config};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "natter-server",
    version,
    about = "The Natter chat server (Tencent Cloud Chat compatible)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (/v4/...) and WebSocket (/binfo, /info) on NATTER_LISTEN.
    ///
    /// Settings come from --config (TOML: listen, data_dir, sdkappid,
    /// secret_key, admin), overridden by NATTER_LISTEN, NATTER_DATA_DIR,
    /// NATTER_SDKAPPID, NATTER_SECRET_KEY and NATTER_ADMIN. Without any, it
    /// listens on 127.0.0.1:8080 with data under the user's data folder and a
    /// generated secret key kept there.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a UserSig for USER signed with this server's key.
    Usersig {
        user: String,
        /// Validity in seconds.
        #[arg(long, default_value_t = 86_400)]
        expire: u64,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("natter-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("natter-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Usersig {
            user,
            expire,
            config,
        } => {
            let config = Config::load(config.as_deref())?;
            let auth = natter_server::auth::Auth::new(config.sdkappid, config.secret_key);
            println!("{}", auth.issue_user_sig(&user, expire));
            Ok(())
        }
        Command::Serve { config } => {
            let config = Config::load(config.as_deref())?;
            let server = start(config).await?;
            println!("natter-server listening on {}", server.addr);
            wait_for_stop_signal().await;
            tracing::info!("shutting down");
            server.shutdown().await;
            Ok(())
        }
    }
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
