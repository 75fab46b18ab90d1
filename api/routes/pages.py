"""PLACEHOLDER: being written (map page)."""
from fastapi import APIRouter

router = APIRouter(tags=["pages"])
