fn main() {
    leptos::mount::mount_to_body(bedrock_wasm_playground::App);
}
