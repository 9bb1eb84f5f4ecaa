// Browser client entry point (bundled to /__p2p/client.<hash>.js).
export {};
