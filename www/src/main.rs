fn main() {
    // The page only exists in a browser; a native build (for the unit tests) has no `App`.
    #[cfg(target_arch = "wasm32")]
    {
        bedrock_wasm_playground::fatal::install();
        leptos::mount::mount_to_body(bedrock_wasm_playground::App);
    }
}
