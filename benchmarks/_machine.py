"""What a timed benchmark records about the machine it ran on (shared by latency.py and harmony_cost.py)."""
import os, platform
from pathlib import Path

def machine(load_before: float) -> dict:
    """Python, torch and ONNX Runtime versions, the CPU model and core count, and the 1-minute load average when the
    benchmark started (`load_before`) and now: other work on the CPU inflates every timing."""
    import torch, onnxruntime as ort
    info = Path('/proc/cpuinfo')
    cpu = next((l.split(':', 1)[1].strip() for l in info.open() if l.startswith('model name')), None) if info.exists() else None
    return dict(python=platform.python_version(), torch=torch.__version__, onnxruntime=ort.__version__,
                cpu=cpu or platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                load_1min_before=round(load_before, 2), load_1min_after=round(os.getloadavg()[0], 2))
