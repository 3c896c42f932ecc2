"""broken_import: raises while being imported, like a plugin whose library is missing."""
raise ImportError("No module named 'vendor_sdk' (install the vendor's SDK first)")
