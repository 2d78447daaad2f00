fn main() {
    // The UI build output and the icons are embedded: rebuild when they change.
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=../icons");
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    let commands = &[
        "startup",
        "sign_in",
        "session",
        "sign_out",
        "get_message_list",
        "send_text",
        "send_files",
        "attach_files",
        "send_pasted_image",
        "cancel_upload",
        "start_recording",
        "stop_recording",
        "cancel_recording",
        "send_voice",
        "voice_waveform",
        "download_file",
        "show_in_folder",
        "resend_message",
        "mark_read",
        "find_user",
        "create_group",
        "add_group_members",
        "group_members",
        "open_link",
    ];
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        // Generates an `allow-<command>` permission per command; the capability
        // file grants exactly these, and nothing else of Natter's is callable.
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}
