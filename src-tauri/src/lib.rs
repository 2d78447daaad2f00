//! `natter-desktop`: the Tauri shell. The UI (`ui/`) calls the commands in
//! [`commands`]; they adapt [`desktop::Desktop`], which sits on natter-sdk
//! and, when no server is configured, a natter-server built into the app.

pub mod commands;
pub mod desktop;
pub mod error;

use desktop::Desktop;

/// Starts the app (blocks until the last window closes).
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let result = tauri::Builder::default()
        .manage(Desktop::new(Desktop::default_data_dir()))
        .invoke_handler(tauri::generate_handler![
            commands::sign_in,
            commands::list_conversations,
            commands::get_message_list,
            commands::send_text,
            commands::mark_read,
            commands::subscribe,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("natter: {e}");
        std::process::exit(1);
    }
}
