"""PLACEHOLDER: being written (areas API)."""
from fastapi import APIRouter

router = APIRouter(tags=["areas"])
